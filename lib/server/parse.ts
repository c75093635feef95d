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

/** Splits a line into words on whitespace, ignoring it at both ends. */
export function words(line: string): string[] {
  const found: string[] = [];
  let start = -1;
  for (let at = 0; at < line.length; at++) {
    if (!isWhitespace(line.charCodeAt(at))) {
      if (start === -1) start = at;
    } else if (start !== -1) {
      found.push(line.slice(start, at));
      start = -1;
    }
  }
  if (start !== -1) found.push(line.slice(start));
  return found;
}

/**
 * Parses one line, with or without its terminator. Verbs are upper case, as
 * in the guide: `create shopping` is an unknown command there too.
 */
export function parse(line: string): Parsed {
  const [verb, ...args] = words(line);
  switch (verb) {
    case 'CREATE':
      return args.length === 1 ? { kind: 'create', bucket: args[0]! } : unknown;
    case 'PUT':
      return args.length === 3 ? { kind: 'put', bucket: args[0]!, key: args[1]!, value: args[2]! } : unknown;
    case 'GET':
      return args.length === 2 ? { kind: 'get', bucket: args[0]!, key: args[1]! } : unknown;
    case 'DELETE':
      return args.length === 2 ? { kind: 'delete', bucket: args[0]!, key: args[1]! } : unknown;
    default:
      return unknown;
  }
}
