// Redis's SET family on the strings bucket: SET (NX, XX, GET, KEEPTTL, EX,
// PX, EXAT, PXAT), SETNX, SETEX, PSETEX, GETSET and GETEX. Each is one store
// operation (put, putIf, getSet, getExpire), so a SET that reads (GET,
// KEEPTTL, NX, XX) and GETEX are atomic as Redis's are.

import { wallNow } from '../../core/clock';
import type { Answer, CommandContext, CommandSpec } from './command';
import { bulk, integer, nil, ok } from './reply';
import { expiryDeadline, parseStringOptions, type ExpiryUnit, type StringOptions } from './set-options';
import { stringOp } from './strings-bucket';

const okReply = () => ok;
const bulkReply = (value: string | undefined) => bulk(value);

/** The deadline `options` ask for (undefined: none), or the error reply. */
function deadlineOf(options: StringOptions, command: string): number | undefined | string {
  return options.expiry === undefined ? undefined : expiryDeadline(options.expiry, command, wallNow());
}

/** Sets `key` as SET's `options` say, once they are known good: with GET or KEEPTTL a getSet, which reads the old value in the same step. */
function setString(context: CommandContext, key: string, value: string, options: StringOptions, expiresAt: number | undefined, answer: Answer): void {
  const { exists } = options;
  if (options.get || options.keepTtl) {
    const written = (old: string | undefined) => exists === undefined || (old !== undefined) === exists;
    const encode = (old: string | undefined) => (options.get ? bulk(old) : written(old) ? ok : nil);
    return stringOp(context, { kind: 'getSet', key, value, exists, expiresAt, keepTtl: options.keepTtl }, encode, answer);
  }
  const deadline = expiresAt === undefined ? {} : { expiresAt };
  if (exists === undefined) return stringOp(context, { kind: 'put', key, value, ...deadline }, okReply, answer);
  stringOp(context, { kind: 'putIf', key, value, exists, ...deadline }, (written: boolean) => (written ? ok : nil), answer);
}

function set(context: CommandContext, args: readonly string[], answer: Answer): void {
  const options = parseStringOptions(args, 'set');
  if (typeof options === 'string') return answer(options);
  const expiresAt = deadlineOf(options, 'set');
  if (typeof expiresAt === 'string') return answer(expiresAt);
  setString(context, args[1]!, args[2]!, options, expiresAt, answer);
}

/** SETEX and PSETEX: SET with EX or PX, the amount before the value. */
function setWithExpiry(unit: ExpiryUnit): CommandSpec['run'] {
  return (context, args, answer) => {
    const expiresAt = expiryDeadline({ unit, amount: args[2]! }, args[0]!, wallNow());
    if (typeof expiresAt === 'string') return answer(expiresAt);
    stringOp(context, { kind: 'put', key: args[1]!, value: args[3]!, expiresAt }, okReply, answer);
  };
}

/**
 * GETEX: GET, and a new deadline or none. As in Redis, a missing key answers
 * nil before its amount is looked at, so a bad amount is an error only when
 * the key exists.
 */
function getex(context: CommandContext, args: readonly string[], answer: Answer): void {
  const options = parseStringOptions(args, 'getex');
  if (typeof options === 'string') return answer(options);
  const key = args[1]!;
  const expiresAt = options.persist ? 0 : deadlineOf(options, 'getex');
  if (expiresAt === undefined) return stringOp(context, { kind: 'get', key }, bulkReply, answer);
  if (typeof expiresAt === 'string') return stringOp(context, { kind: 'has', key }, (found: boolean) => (found ? expiresAt : nil), answer);
  stringOp(context, { kind: 'getExpire', key, expiresAt }, bulkReply, answer);
}

const write = ['write', 'denyoom'];

export const setCommands: Record<string, CommandSpec> = {
  set: { arity: -3, flags: write, keys: [1, 1, 1], run: set },
  setnx: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'putIf', key: a[1]!, value: a[2]!, exists: false }, (written: boolean) => integer(written ? 1 : 0), answer) },
  setex: { arity: 4, flags: write, keys: [1, 1, 1], run: setWithExpiry('EX') },
  psetex: { arity: 4, flags: write, keys: [1, 1, 1], run: setWithExpiry('PX') },
  getset: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'getSet', key: a[1]!, value: a[2]! }, bulkReply, answer) },
  getex: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], run: getex },
};
