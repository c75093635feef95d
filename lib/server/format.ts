// Results and errors to wire bytes: the one place that decides what the client
// reads (the guide's KVServer.write_line clauses), as one table per kind. A
// reply is a binary string (one char per byte): values and keys go back as the
// bytes they are, error messages (text) as UTF-8.

import { toBinary } from '../core/bytes';
import type { ErrorData, KvErrorCode } from '../errors';
import type { Command } from './parse';

/** What running one request produced, before it becomes bytes; values and keys are binary strings. */
export type Reply =
  | { kind: 'done'; command: Command; value: string | number | boolean | string[] | undefined }
  | { kind: 'unknown' }
  | { kind: 'failed'; error: ErrorData };

const crlf = '\r\n';

/** The conditions the server itself refuses, with the exact line each one sends. */
export const refusals = {
  lineTooLong: `ERROR line too long${crlf}`,
  maxClients: `ERROR max clients reached${crlf}`,
  idleTimeout: `ERROR line not completed within the idle timeout${crlf}`,
  authRequired: `ERROR authentication required${crlf}`,
  invalidPassword: `ERROR invalid password${crlf}`,
  noPassword: `ERROR AUTH without a password set on this node${crlf}`,
  authenticated: `OK${crlf}`,
} as const;

// The codes whose wire text is not `ERROR <message>`. A missing bucket keeps
// the guide's bytes; everything the guide crashed the connection on is an ERROR
// line, so a code added later needs no entry here.
const errorText: Partial<Record<KvErrorCode, (error: ErrorData) => string>> = {
  NOT_FOUND: () => 'NOT FOUND',
};

/**
 * One line of text: line breaks (CR and LF, which would break the framing, and
 * VT, FF, NEL, U+2028 and U+2029, which a terminal shows as one) become spaces.
 */
export function singleLine(text: string): string {
  return text.replace(/[\n\v\f\r\x85\u2028\u2029]+/g, ' ');
}

/** The wire bytes of an error, terminator included. */
export function formatError(error: ErrorData): string {
  const text = errorText[error.code]?.(error) ?? `ERROR ${toBinary(singleLine(error.message))}`;
  return text + crlf;
}

const valueBreaksFraming = /[\r\n]/;

/** The wire bytes of a reply, terminator included. */
export function formatReply(reply: Reply): string {
  switch (reply.kind) {
    case 'unknown':
      return `UNKNOWN COMMAND${crlf}`;
    case 'failed':
      return formatError(reply.error);
    case 'done':
      return formatDone(reply.command, reply.value);
  }
}

/** A command's answer: GET's value, KEYS', BUCKETS' and TREE's lines, EXPIRE's 1 or 0 and TTL's seconds (each then OK), PONG, or OK. */
function formatDone(command: Command, value: string | number | boolean | string[] | undefined): string {
  switch (command.kind) {
    case 'get':
      return formatValue(value as string | undefined);
    case 'keys':
    case 'buckets':
    case 'tree':
      return formatLines(value as string[]);
    case 'expire':
      return `${value ? 1 : 0}${crlf}OK${crlf}`;
    case 'ttl':
      return `${ttlSeconds(value as number)}${crlf}OK${crlf}`;
    case 'ping':
      return `PONG${crlf}`;
    default:
      return `OK${crlf}`;
  }
}

/** Redis's TTL in seconds: -1 (no deadline) and -2 (no key) as they are, else rounded. */
function ttlSeconds(ms: number): number {
  return ms < 0 ? ms : Math.round(ms / 1000);
}

// One name or key a line, then OK. One that holds a line break cannot travel: the whole answer says so.
function formatLines(lines: readonly string[]): string {
  if (lines.some((line) => valueBreaksFraming.test(line))) {
    return `ERROR a key holds a line break, which the text protocol cannot carry${crlf}`;
  }
  return lines.length === 0 ? `OK${crlf}` : `${lines.join(crlf)}${crlf}OK${crlf}`;
}

// GET answers the value then OK; a missing key is an empty line, as in the guide.
// A value stored through the library API may hold a line break, which the
// text protocol cannot carry: say so rather than send a torn reply.
function formatValue(value: string | undefined): string {
  if (value !== undefined && valueBreaksFraming.test(value)) {
    return `ERROR the value holds a line break, which the text protocol cannot carry${crlf}`;
  }
  return `${value ?? ''}${crlf}OK${crlf}`;
}
