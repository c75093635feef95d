// RESP2 replies as wire bytes: each function returns a binary string (one char
// per byte) that the client writes as it is. Values and keys are binary
// strings already; error messages are text, sent as UTF-8 on one line. Pure.

import { toBinary } from '../../core/bytes';
import { singleLine } from '../format';

const crlf = '\r\n';

export const ok = `+OK${crlf}`;
export const pong = `+PONG${crlf}`;
export const nil = `$-1${crlf}`;
export const emptyArray = `*0${crlf}`;

/** A status reply (`+PONG`): text without line breaks. */
export function simple(text: string): string {
  return `+${text}${crlf}`;
}

/**
 * The replies of the counts HSET, DEL, EXISTS and the like answer, made once:
 * a reply waits in its client's queue until written, and one string shared by
 * all of them costs nothing, where one each adds up for clients that read slowly.
 */
const smallIntegers = Array.from({ length: 1024 }, (_, value) => `:${value}${crlf}`);

/** An error reply: `code` is its first word (ERR, WRONGTYPE, a KvError code), as clients read it. */
export function error(code: string, message: string): string {
  return `-${code} ${toBinary(singleLine(message))}${crlf}`;
}

/** An integer reply (`:3`). */
export function integer(value: number | bigint | string): string {
  if (typeof value === 'number' && value >= 0 && value < smallIntegers.length && Number.isInteger(value)) return smallIntegers[value]!;
  return `:${value}${crlf}`;
}

/** A bulk string, or nil for undefined and null. */
export function bulk(binary: string | null | undefined): string {
  return binary === undefined || binary === null ? nil : `$${binary.length}${crlf}${binary}${crlf}`;
}

/** An array of replies already encoded. */
export function array(items: readonly string[]): string {
  return `*${items.length}${crlf}${items.join('')}`;
}

/**
 * Pairs as RESP3's map (`%`) for a client that said HELLO 3, else as RESP2's
 * flat array; `items` are encoded replies, key, value, key, value...
 */
export function map(items: readonly string[], protocol: 2 | 3): string {
  return protocol === 3 ? `%${items.length / 2}${crlf}${items.join('')}` : array(items);
}

/** An array of bulk strings (nil for a missing one). */
export function bulks(binaries: ReadonlyArray<string | null | undefined>): string {
  let out = `*${binaries.length}${crlf}`;
  for (const binary of binaries) out += bulk(binary);
  return out;
}
