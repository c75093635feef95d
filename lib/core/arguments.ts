// Argument checks shared by the store's API and the cluster's serving side:
// a bad argument is a BAD_REQUEST KvError naming it, never a crash.

import { constants } from 'node:buffer';
import { KvError } from '../errors';
import { isBucketName, printable } from './bytes';
import { parseLongDouble } from './long-double';
import type { BucketOp } from './operations';

/**
 * Bucket names (binary strings) are non-empty and hold no whitespace or
 * control characters, so every bucket can be named from the text protocol,
 * where words split on whitespace; any other bytes are allowed (bytes.ts).
 */
export function checkBucket(bucket: unknown): asserts bucket is string {
  checkString('bucket name', bucket);
  if (!isBucketName(bucket)) {
    throw new KvError('BAD_REQUEST', `bucket name "${printable(bucket)}" must be non-empty, without whitespace or control characters`);
  }
}

/** Throws BAD_REQUEST naming `what` unless `value` is a binary string (one char per byte: no char above 0xff). */
export function checkString(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new KvError('BAD_REQUEST', `${what} must be a string, got ${typeof value}`);
  }
  if (!isBinary(value)) throw new KvError('BAD_REQUEST', `${what} must be bytes, one character per byte (the store converts text at its edge)`);
}

/** No char above 0xff: for ASCII-only strings, the common case, one regex scan. */
const aboveByte = /[^\x00-\xff]/;
function isBinary(value: string): boolean {
  return !aboveByte.test(value);
}

/** The longest value an operation may make (SETRANGE's offset and value): V8's longest string. */
export const maxValueBytes = constants.MAX_STRING_LENGTH;

/** The most keys one page of a scan may ask for. */
export const maxScanCount = 10_000;

/** Checks an operation's arguments; throws BAD_REQUEST naming the one at fault. */
export function checkOp(bucket: string, op: BucketOp): void {
  checkBucket(bucket);
  if (typeof op !== 'object' || op === null) throw new KvError('BAD_REQUEST', 'an operation must be an object');
  switch (op.kind) {
    case 'put':
      checkString('value', op.value);
      if (op.expiresAt !== undefined) checkDeadline(op.expiresAt);
      return checkString('key', op.key);
    case 'putIf':
      checkString('value', op.value);
      if (op.expiresAt !== undefined) checkDeadline(op.expiresAt);
      checkFlags(op, 'exists');
      if (op.exists === undefined) throw new KvError('BAD_REQUEST', 'exists must be a boolean, got undefined');
      return checkString('key', op.key);
    case 'getSet':
      checkString('value', op.value);
      if (op.expiresAt !== undefined) checkDeadline(op.expiresAt);
      checkFlags(op, 'exists', 'keepTtl');
      if (op.keepTtl === true && op.expiresAt !== undefined) throw new KvError('BAD_REQUEST', 'keepTtl and expiresAt exclude each other');
      return checkString('key', op.key);
    case 'append':
      checkString('value', op.value);
      return checkString('key', op.key);
    case 'setRange':
      checkString('value', op.value);
      if (!Number.isSafeInteger(op.offset) || op.offset < 0) throw new KvError('BAD_REQUEST', `offset must be a non-negative integer, got ${String(op.offset)}`);
      if (op.value !== '' && op.offset + op.value.length > maxValueBytes) throw new KvError('BAD_REQUEST', `a value may hold at most ${maxValueBytes} bytes (the longest string the JavaScript engine makes)`);
      return checkString('key', op.key);
    case 'incrBy':
      if (typeof op.by !== 'string' || parseInt64(op.by) === undefined) throw new KvError('BAD_REQUEST', 'by must be a 64-bit integer in decimal');
      return checkString('key', op.key);
    case 'incrByFloat':
      if (typeof op.by !== 'string' || parseLongDouble(op.by) === undefined) throw new KvError('BAD_REQUEST', 'by must be a float as Redis reads one (decimal, hexadecimal or inf)');
      return checkString('key', op.key);
    case 'expire':
    case 'getExpire':
      checkDeadline(op.expiresAt);
      return checkString('key', op.key);
    case 'expireIf':
      checkDeadline(op.expiresAt);
      checkFlags(op, 'nx', 'xx', 'gt', 'lt');
      if ((op.nx === true && (op.xx === true || op.gt === true || op.lt === true)) || (op.gt === true && op.lt === true)) {
        throw new KvError('BAD_REQUEST', 'nx excludes xx, gt and lt, and gt excludes lt');
      }
      return checkString('key', op.key);
    case 'get':
    case 'has':
    case 'delete':
    case 'ttl':
    case 'deadline':
      return checkString('key', op.key);
    case 'keys':
      return checkScan(op);
    case 'size':
    case 'clear':
    case 'dump':
      return;
    case 'replace':
      if (!Array.isArray(op.entries)) throw new KvError('BAD_REQUEST', `entries must be an array, got ${typeof op.entries}`);
      for (const entry of op.entries) {
        if (!Array.isArray(entry) || entry.length !== 3) throw new KvError('BAD_REQUEST', 'each entry must be [key, value, expiresAt]');
        checkString('key', entry[0]);
        checkString('value', entry[1]);
        checkDeadline(entry[2]);
      }
      return;
    case 'getMany':
      if (!Array.isArray(op.keys)) throw new KvError('BAD_REQUEST', `keys must be an array, got ${typeof op.keys}`);
      for (const key of op.keys) checkString('key', key);
      return;
    case 'putMany':
    case 'putManyIfAbsent':
      if (!Array.isArray(op.entries)) throw new KvError('BAD_REQUEST', `entries must be an array of [key, value] pairs, got ${typeof op.entries}`);
      for (const entry of op.entries) {
        if (!Array.isArray(entry) || entry.length !== 2) throw new KvError('BAD_REQUEST', 'each entry must be a [key, value] pair');
        checkString('key', entry[0]);
        checkString('value', entry[1]);
      }
      return;
    case 'crash':
      // A reason is text for logs and errors, not bytes.
      if (typeof op.reason !== 'string') throw new KvError('BAD_REQUEST', `reason must be a string, got ${typeof op.reason}`);
      return;
    default:
      throw new KvError('BAD_REQUEST', `unknown operation kind ${JSON.stringify((op as { kind: unknown }).kind)}`);
  }
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
/** Redis's integer syntax: an optional minus, digits without a leading zero (but 0 itself), within 64 bits. */
const integerSyntax = /^(0|-?[1-9][0-9]{0,18})$/;

/** A binary string as Redis reads a 64-bit integer (no sign, spaces or leading zeros), or undefined. */
export function parseInt64(text: string): bigint | undefined {
  if (!integerSyntax.test(text)) return undefined;
  const value = BigInt(text);
  return value < int64Min || value > int64Max ? undefined : value;
}

/** Whether a sum stays within 64 bits. */
export function isInt64(value: bigint): boolean {
  return value >= int64Min && value <= int64Max;
}

/** Throws BAD_REQUEST unless each of the op's `names` is absent or a boolean. */
function checkFlags<T extends object>(op: T, ...names: Array<keyof T & string>): void {
  for (const name of names) {
    if (op[name] !== undefined && typeof op[name] !== 'boolean') throw new KvError('BAD_REQUEST', `${name} must be a boolean, got ${typeof op[name]}`);
  }
}

/** An expiry deadline: epoch milliseconds (0: none). */
function checkDeadline(expiresAt: unknown): void {
  if (!Number.isSafeInteger(expiresAt) || (expiresAt as number) < 0) throw new KvError('BAD_REQUEST', `an expiry deadline must be a non-negative integer (epoch ms), got ${String(expiresAt)}`);
}

function checkScan(op: { cursor: unknown; count: unknown; match?: unknown }): void {
  if (!Number.isSafeInteger(op.cursor) || (op.cursor as number) < 0) throw new KvError('BAD_REQUEST', `cursor must be a non-negative integer, got ${String(op.cursor)}`);
  if (!Number.isInteger(op.count) || (op.count as number) < 1 || (op.count as number) > maxScanCount) {
    throw new KvError('BAD_REQUEST', `count must be an integer from 1 to ${maxScanCount}, got ${String(op.count)}`);
  }
  if (op.match !== undefined) checkString('match', op.match);
}
