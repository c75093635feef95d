// Redis's string commands but the SET family (set-commands.ts): reads, MSET
// and MSETNX, the increments and APPEND. Read-modify-write commands are single
// store operations (incrBy, incrByFloat, append, putManyIfAbsent), so they are
// atomic as Redis's are.

import { parseInt64 } from '../../core/arguments';
import { parseLongDouble } from '../../core/long-double';
import { notInteger, wrongArity, type Answer, type CommandContext, type CommandSpec } from './command';
import { bulk, bulks, error, integer, ok } from './reply';
import { stringOp } from './strings-bucket';

const bulkReply = (value: string | undefined) => bulk(value);
const integerReply = (value: number | string) => integer(value);

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

/** INCRBYFLOAT: an increment Redis would not read is refused here, with the words the store would use. */
function incrByFloat(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (parseLongDouble(args[2]!) === undefined) return answer(error('ERR', 'value is not a valid float'));
  stringOp(context, { kind: 'incrByFloat', key: args[1]!, by: args[2]! }, bulkReply, answer);
}

/** MSET and MSETNX: key, value pairs, as the op `kind` answered by `encode`. */
function setMany(kind: 'putMany' | 'putManyIfAbsent', encode: (value: never) => string): CommandSpec['run'] {
  return (context, args, answer) => {
    if (args.length % 2 === 0) return answer(wrongArity(args[0]!));
    const entries: Array<[string, string]> = [];
    for (let at = 1; at < args.length; at += 2) entries.push([args[at]!, args[at + 1]!]);
    stringOp(context, { kind, entries }, encode, answer);
  };
}

const write = ['write', 'denyoom'];
const read = ['readonly', 'fast'];

export const stringCommands: Record<string, CommandSpec> = {
  get: { arity: 2, flags: read, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'get', key: a[1]! }, bulkReply, answer) },
  mget: { arity: -2, flags: read, keys: [1, -1, 1], run: (c, a, answer) => stringOp(c, { kind: 'getMany', keys: a.slice(1) }, bulks, answer) },
  mset: { arity: -3, flags: write, keys: [1, -1, 2], run: setMany('putMany', () => ok) },
  msetnx: { arity: -3, flags: write, keys: [1, -1, 2], run: setMany('putManyIfAbsent', (written: boolean) => integer(written ? 1 : 0)) },
  incr: { arity: 2, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(1n, false) },
  decr: { arity: 2, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(-1n, false) },
  incrby: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(1n, true) },
  decrby: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: increment(-1n, true) },
  incrbyfloat: { arity: 3, flags: [...write, 'fast'], keys: [1, 1, 1], run: incrByFloat },
  append: { arity: 3, flags: write, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'append', key: a[1]!, value: a[2]! }, integerReply, answer) },
  strlen: { arity: 2, flags: read, keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'get', key: a[1]! }, (value: string | undefined) => integer(value?.length ?? 0), answer) },
  getdel: { arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1], run: (c, a, answer) => stringOp(c, { kind: 'delete', key: a[1]! }, bulkReply, answer) },
};
