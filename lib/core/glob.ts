// Redis's glob patterns (KEYS, SCAN MATCH): `*` any run, `?` any one byte,
// `[abc]`, `[a-z]` and `[^a]` a set, `\x` the byte x itself. Pure.

/** A matcher for `pattern`; every pattern is valid (a stray `[` or `\` stands for itself, as in Redis). */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (pattern === '*') return () => true;
  const regex = new RegExp(`^${globToRegex(pattern)}$`, 's');
  return (text) => regex.test(text);
}

function globToRegex(pattern: string): string {
  let out = '';
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at]!;
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else if (char === '\\' && at + 1 < pattern.length) out += escape(pattern[++at]!);
    else if (char === '[') {
      const end = setEnd(pattern, at);
      if (end === -1) out += escape(char);
      else {
        out += setToRegex(pattern.slice(at + 1, end));
        at = end;
      }
    } else out += escape(char);
  }
  return out;
}

/** The index of the `]` that closes the set opened at `open`, or -1. */
function setEnd(pattern: string, open: number): number {
  for (let at = open + 1; at < pattern.length; at++) {
    if (pattern[at] === '\\') at++;
    else if (pattern[at] === ']' && at > open + 1) return at;
  }
  return -1;
}

function setToRegex(body: string): string {
  const negated = body.startsWith('^');
  let out = '';
  for (let at = negated ? 1 : 0; at < body.length; at++) {
    let char = body[at]!;
    if (char === '\\' && at + 1 < body.length) char = body[++at]!;
    if (body[at + 1] === '-' && at + 2 < body.length) {
      const [low, high] = [char, body[at + 2]!].sort();
      out += `${escapeInSet(low!)}-${escapeInSet(high!)}`;
      at += 2;
    } else out += escapeInSet(char);
  }
  return `[${negated ? '^' : ''}${out}]`;
}

const escape = (char: string): string => char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const escapeInSet = (char: string): string => char.replace(/[\]\\^-]/g, '\\$&');
