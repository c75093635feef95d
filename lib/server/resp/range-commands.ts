// Redis's byte ranges of a string: GETRANGE (and SUBSTR, its old name) reads
// one, SETRANGE writes one in one store operation (setRange), atomic as
// Redis's is. The range is computed as redis-server 7.0 computes it.

import { maxValueBytes, parseInt64 } from '../../core/arguments';
import { notInteger, type Answer, type CommandContext, type CommandSpec } from './command';
import { bulk, error, integer } from './reply';
import { stringOp } from './strings-bucket';

/**
 * The bytes [from, to) of a value of `length` bytes that GETRANGE's `start`
 * and `end` (inclusive, negative from the end) name, or undefined for none.
 */
export function byteRange(length: number, start: bigint, end: bigint): [number, number] | undefined {
  if (start < 0n && end < 0n && start > end) return undefined;
  const size = BigInt(length);
  const clamp = (at: bigint): bigint => (at < 0n ? (at + size < 0n ? 0n : at + size) : at);
  const [from, last] = [clamp(start), clamp(end) >= size ? size - 1n : clamp(end)];
  return from > last || length === 0 ? undefined : [Number(from), Number(last) + 1];
}

function getRange(context: CommandContext, args: readonly string[], answer: Answer): void {
  const [start, end] = [parseInt64(args[2]!), parseInt64(args[3]!)];
  if (start === undefined || end === undefined) return answer(notInteger);
  stringOp(context, { kind: 'get', key: args[1]! }, (value: string | undefined) => {
    const range = byteRange(value?.length ?? 0, start, end);
    return bulk(range === undefined ? '' : value!.slice(...range));
  }, answer);
}

const tooLong = error('ERR', 'string exceeds maximum allowed size (proto-max-bulk-len)');

/** SETRANGE: past the listener's bulk length limit (proto-max-bulk-len) a value is refused, as Redis refuses it. */
function setRange(context: CommandContext, args: readonly string[], answer: Answer): void {
  const offset = parseInt64(args[2]!);
  const value = args[3]!;
  if (offset === undefined) return answer(notInteger);
  if (offset < 0n) return answer(error('ERR', 'offset is out of range'));
  if (value !== '' && offset + BigInt(value.length) > BigInt(Math.min(context.options.maxBulkBytes, maxValueBytes))) return answer(tooLong);
  stringOp(context, { kind: 'setRange', key: args[1]!, offset: Number(offset), value }, (length: number) => integer(length), answer);
}

const read = ['readonly'];
const key: [number, number, number] = [1, 1, 1];

export const rangeCommands: Record<string, CommandSpec> = {
  getrange: { arity: 4, flags: read, keys: key, run: getRange },
  substr: { arity: 4, flags: read, keys: key, run: getRange },
  setrange: { arity: 4, flags: ['write', 'denyoom'], keys: key, run: setRange },
};
