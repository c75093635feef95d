// The text protocol's parser: one request line to a command (the Elixir guide's
// KVServer.Command.parse). Pure: no sockets, no store. Lines, and so words, are
// binary strings (one char per byte).

import { whitespaceAt } from '../core/bytes';

/** A request the store can run: the guide's four verbs, then the extensions. */
export type Command =
  | { kind: 'create'; bucket: string }
  | { kind: 'put'; bucket: string; key: string; value: string }
  | { kind: 'get'; bucket: string; key: string }
  | { kind: 'delete'; bucket: string; key: string }
  | { kind: 'keys'; bucket: string }
  | { kind: 'buckets' }
  | { kind: 'tree' }
  | { kind: 'drop'; bucket: string }
  | { kind: 'expire'; bucket: string; key: string; seconds: number }
  | { kind: 'ttl'; bucket: string; key: string }
  | { kind: 'ping' }
  | { kind: 'quit' }
  /** Handled by the connection, never by the store. */
  | { kind: 'auth'; password: string };

/** A line that names no command: an unknown verb or a wrong number of words. */
export interface UnknownCommand {
  kind: 'unknown';
}

export type Parsed = Command | UnknownCommand;

const unknown: UnknownCommand = { kind: 'unknown' };
const ping: Command = { kind: 'ping' };
const quit: Command = { kind: 'quit' };

/** EXPIRE's seconds: a whole number, at most nine digits (about 31 years). */
const wholeSeconds = /^\d{1,9}$/;

/**
 * Splits a line (a binary string) into words on whitespace, ignoring it at
 * both ends, as the guide's String.split/1 splits them: on any run of Unicode
 * White_Space except the non-breaking spaces, so "CREATE  shopping  \r\n" is
 * CREATE shopping and the terminator is dropped. Bytes that are not valid
 * UTF-8 are never whitespace: they belong to the word they are in. It stops
 * once it has found more than `limit` words, and fills `into` (emptied first)
 * when given, so the parser can reuse one array.
 */
export function words(line: string, limit = Infinity, into: string[] = []): string[] {
  into.length = 0;
  let start = -1;
  for (let at = 0; at < line.length; ) {
    const space = whitespaceAt(line, at);
    if (space === 0) {
      if (start === -1) start = at;
      at++;
      continue;
    }
    if (start !== -1) {
      if (into.push(line.slice(start, at)) > limit) return into;
      start = -1;
    }
    at += space;
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
    case 'KEYS':
      return found.length === 2 ? { kind: 'keys', bucket: first! } : unknown;
    case 'BUCKETS':
      return found.length === 1 ? { kind: 'buckets' } : unknown;
    case 'TREE':
      return found.length === 1 ? { kind: 'tree' } : unknown;
    case 'DROP':
      return found.length === 2 ? { kind: 'drop', bucket: first! } : unknown;
    case 'EXPIRE':
      return found.length === 4 && wholeSeconds.test(found[3]!) ? { kind: 'expire', bucket: first!, key: second!, seconds: Number(found[3]) } : unknown;
    case 'TTL':
      return found.length === 3 ? { kind: 'ttl', bucket: first!, key: second! } : unknown;
    case 'PING':
      return found.length === 1 ? ping : unknown;
    case 'QUIT':
      return found.length === 1 ? quit : unknown;
    case 'AUTH':
      return found.length === 2 ? { kind: 'auth', password: first! } : unknown;
    default:
      return unknown;
  }
}
