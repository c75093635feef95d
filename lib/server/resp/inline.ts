// Inline commands, as Redis reads a request that does not start with `*`
// (what telnet, or a script piped into nc, sends): words split on spaces and
// tabs, with "double" quotes (\n \r \t \\ \" \xHH escapes) and 'single' quotes
// (only \' escaped), as Redis's sdssplitargs. Pure.

/** The words of one inline line (a binary string, terminator excluded), or undefined for unbalanced quotes. */
export function splitInline(line: string): string[] | undefined {
  const words: string[] = [];
  let at = 0;
  for (;;) {
    while (at < line.length && isSpace(line.charCodeAt(at))) at++;
    if (at >= line.length) return words;
    const quote = line[at];
    const word = quote === '"' || quote === "'" ? quoted(line, at + 1, quote) : bare(line, at);
    if (!word) return undefined;
    words.push(word.text);
    at = word.end;
  }
}

const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a || code === 0x0b || code === 0x0c;

function bare(line: string, start: number): { text: string; end: number } {
  let end = start;
  while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
  return { text: line.slice(start, end), end };
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** A quoted word from just after its opening quote; the closing quote must be followed by a space or the end. */
function quoted(line: string, start: number, quote: string): { text: string; end: number } | undefined {
  let text = '';
  for (let at = start; at < line.length; at++) {
    const char = line[at]!;
    if (char === quote) {
      const after = at + 1;
      return after === line.length || isSpace(line.charCodeAt(after)) ? { text, end: after } : undefined;
    }
    if (char !== '\\' || at + 1 >= line.length) {
      text += char;
      continue;
    }
    const next = line[at + 1]!;
    if (quote === "'") {
      if (next === "'") at++;
      text += next === "'" ? "'" : char;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(at + 2, at + 4))) {
      text += String.fromCharCode(parseInt(line.slice(at + 2, at + 4), 16));
      at += 3;
    } else {
      text += escapes[next] ?? next;
      at++;
    }
  }
  return undefined;
}
