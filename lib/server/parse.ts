// The text protocol's parser: one request line to a command (the Elixir guide's
// KVServer.Command.parse). Pure: no sockets, no store.

/** A request the store can run. */
export type Command =
  | { kind: 'create'; bucket: string }
  | { kind: 'put'; bucket: string; key: string; value: string }
  | { kind: 'get'; bucket: string; key: string }
  | { kind: 'delete'; bucket: string; key: string };

/** A line that names no command: an unknown verb or a wrong number of words. */
export interface UnknownCommand {
  kind: 'unknown';
}

export type Parsed = Command | UnknownCommand;

const unknown: UnknownCommand = { kind: 'unknown' };

// Words are split as the guide's String.split/1 splits them: on any run of
// Unicode White_Space except the non-breaking spaces (U+00A0, U+2007, U+202F),
// so "CREATE  shopping  \r\n" is CREATE shopping and the terminator is dropped.
// A scan by character code: this runs for every request.
function isWhitespace(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  if (code < 0x85) return false;
  return code === 0x85 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a && code !== 0x2007) || code === 0x2028 || code === 0x2029 || code === 0x205f || code === 0x3000;
}

/**
 * Splits a line into words on whitespace, ignoring it at both ends. It stops
 * once it has found more than `limit` words, and fills `into` (emptied
 * first) when given, so the parser can reuse one array.
 */
export function words(line: string, limit = Infinity, into: string[] = []): string[] {
  into.length = 0;
  let start = -1;
  for (let at = 0; at < line.length; at++) {
    if (!isWhitespace(line.charCodeAt(at))) {
      if (start === -1) start = at;
    } else if (start !== -1) {
      if (into.push(line.slice(start, at)) > limit) return into;
      start = -1;
    }
  }
  if (start !== -1) into.push(line.slice(start));
  return into;
}

/** The most words in a request: PUT bucket key value. */
const maxWords = 4;
/** The parser's words, reused by every call: it runs for every request. */
const scratch: string[] = [];

/**
 * Parses one line, with or without its terminator. Verbs are upper case, as
 * in the guide: `create shopping` is an unknown command there too.
 */
export function parse(line: string): Parsed {
  const found = words(line, maxWords, scratch);
  const first = found[1];
  const second = found[2];
  switch (found[0]) {
    case 'CREATE':
      return found.length === 2 ? { kind: 'create', bucket: first! } : unknown;
    case 'PUT':
      return found.length === 4 ? { kind: 'put', bucket: first!, key: second!, value: found[3]! } : unknown;
    case 'GET':
      return found.length === 3 ? { kind: 'get', bucket: first!, key: second! } : unknown;
    case 'DELETE':
      return found.length === 3 ? { kind: 'delete', bucket: first!, key: second! } : unknown;
    default:
      return unknown;
  }
}
