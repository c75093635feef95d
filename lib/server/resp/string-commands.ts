// Redis strings: plain keys and values in one bucket (options.stringsBucket),
// which is created on demand, so that redis-benchmark's SET, GET, INCR and
// MSET run unchanged. Read-modify-write commands are single store operations
// (incrBy, append, putIf), so they are atomic as Redis's are.

import { parseInt64 } from '../../core/arguments';
import { wallNow } from '../../core/clock';
import { toErrorData } from '../../errors';
import type { BucketOp, Outcome } from '../../store';
import { encodeOutcome, notInteger, syntaxError, wrongArity, type Answer, type CommandContext, type CommandSpec } from './command';
import { bulk, bulks, error, integer, nil, ok } from './reply';

/**
 * Submits `op` on the strings bucket; if that bucket does not exist yet (or
 * was dropped), creates it and submits again.
 */
export function onStrings(context: CommandContext, op: BucketOp, settle: (outcome: Outcome) => void): void {
  const bucket = context.options.stringsBucket;
  context.store.submit(bucket, op, (outcome) => {
    if (outcome.ok || outcome.error.code !== 'NOT_FOUND') return settle(outcome);
    context.store.create(bucket).then(
      () => context.store.submit(bucket, op, settle),
      (thrown: unknown) => settle({ ok: false, error: toErrorData(thrown) }),
    );
  });
}

/** Runs `op` on the strings bucket and answers `encode(value)`; a missing bucket reads as empty. */
function stringOp(context: CommandContext, op: BucketOp, encode: (value: never) => string, answer: Answer): void {
  onStrings(context, op, (outcome) => answer(encodeOutcome(outcome, encode)));
}

const okReply = () => ok;
const bulkReply = (value: string | undefined) => bulk(value);
const integerReply = (value: number | string) => integer(value);

/** SET's options: EX/PX (a positive deadline), NX/XX; anything else is a syntax error. */
export function parseSetOptions(args: readonly string[]): { expiresAt?: number; exists?: boolean } | string {
  const parsed: { expiresAt?: number; exists?: boolean } = {};
  for (let at = 3; at < args.length; at++) {
    const word = args[at]!.toUpperCase();
    if ((word === 'NX' || word === 'XX') && parsed.exists === undefined) parsed.exists = word === 'XX';
    else if ((word === 'EX' || word === 'PX') && parsed.expiresAt === undefined && at + 1 < args.length) {
      const amount = parseInt64(args[++at]!);
      if (amount === undefined) return notInteger;
      const ms = word === 'EX' ? amount * 1000n : amount;
      if (amount <= 0n || ms > BigInt(Number.MAX_SAFE_INTEGER) - BigInt(wallNow())) return error('ERR', "invalid expire time in 'set' command");
      parsed.expiresAt = wallNow() + Number(ms);
    } else return syntaxError;
  }
  return parsed;
}

function set(context: CommandContext, args: readonly string[], answer: Answer): void {
  const options = parseSetOptions(args);
  if (typeof options === 'string') return answer(options);
  const [, key, value] = args as [string, string, string];
  const deadline = options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt };
  if (options.exists === undefined) return stringOp(context, { kind: 'put', key, value, ...deadline }, okReply, answer);
  stringOp(context, { kind: 'putIf', key, value, exists: options.exists, ...deadline }, (written: boolean) => (written ? ok : nil), answer);
}

/** INCR, DECR, INCRBY, DECRBY: `sign` and the amount (1, or the argument). */
function increment(sign: 1n | -1n, fromArgument: boolean): CommandSpec['run'] {
  return (context, args, answer) => {
    const amount = fromArgument ? parseInt64(args[2]!) : 1n;
    if (amount === undefined) return answer(notInteger);
    const by = sign * amount;
    // DECRBY -9223372036854775808 cannot be negated within 64 bits.
    if (by > 2n ** 63n - 1n) return answer(error('ERR', 'decrement would overflow'));
    stringOp(context, { kind: 'incrBy', key: args[1]!, by: by.toString() }, integerReply, answer);
  };
}

function mset(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args.length % 2 === 0) return answer(wrongArity(args[0]!));
  const entries: Array<[string, string]> = [];
  for (let at = 1; at < args.length; at += 2) entries.push([args[at]!, args[at + 1]!]);
  stringOp(context, { kind: 'putMany', entries }, okReply, answer);
}

const write = ['write', 'denyoom'];
const read = ['readonly', 'fast'];

export const stringCommands: Record<string, CommandSpec> = {
  get: { arity: 2, flags: read, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'get', key: a[1]! }, bulkReply, answer) },
  set: { arity: -3, flags: write, keys: [1, 1, 1], run: set },
  mget: { arity: -2, flags: read, keys: [1, -1, 1], run: (c, a, answer) => stringOp(c, { kind: 'getMany', keys: a.slice(1) }, bulks, answer) },
  mset: { arity: -3, flags: write, keys: [1, -1, 2], run: mset },
  incr: { arity: 2, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(1n, false) },
  decr: { arity: 2, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(-1n, false) },
  incrby: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(1n, true) },
  decrby: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(-1n, true) },
  append: { arity: 3, flags: write, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'append', key: a[1]!, value: a[2]! }, integerReply, answer) },
  strlen: { arity: 2, flags: read, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'get', key: a[1]! }, (value: string | undefined) => integer(value?.length ?? 0), answer) },
  getdel: { arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'delete', key: a[1]! }, bulkReply, answer) },
  setnx: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'putIf', key: a[1]!, value: a[2]!, exists: false }, (written: boolean) => integer(written ? 1 : 0), answer) },
};
