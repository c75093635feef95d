// The operations that read a key and write it back in one step of the bucket's
// actor, so no other call comes between: Redis's INCRBY, INCRBYFLOAT, APPEND,
// SETRANGE, SET NX|XX|GET|KEEPTTL, GETSET and MSETNX keep their atomicity
// here, across clients and nodes.

import { isInt64, parseInt64 } from '../core/arguments';
import { addLongDoubles, formatLongDouble, parseLongDouble } from '../core/long-double';
import { failed, ok, type BucketOp, type Outcome } from '../core/operations';
import type { BucketTable } from '../storage/storage';
import type { StoredEntry } from '../storage/key-table';

const refused = (message: string): Outcome => failed({ code: 'BAD_REQUEST', message });

/** Redis's INCRBY on a 64-bit integer kept as its decimal text; the deadline stays. */
export function incrBy(table: BucketTable, key: string, by: string): Outcome {
  const entry = table.entry(key);
  const current = entry === undefined ? 0n : parseInt64(entry.value);
  if (current === undefined) return refused('value is not an integer or out of range');
  const sum = current + BigInt(by);
  if (!isInt64(sum)) return refused('increment or decrement would overflow');
  const value = sum.toString();
  table.put(key, value, entry?.expiresAt);
  return ok(value);
}

/** Redis's INCRBYFLOAT, in the x87 long double Redis computes it with (long-double.ts); the deadline stays. */
export function incrByFloat(table: BucketTable, key: string, by: string): Outcome {
  const entry = table.entry(key);
  const current = parseLongDouble(entry?.value ?? '0');
  const increment = parseLongDouble(by);
  if (current === undefined || increment === undefined) return refused('value is not a valid float');
  const sum = addLongDoubles(current, increment);
  if (sum === undefined || 'infinity' in sum) return refused('increment would produce NaN or Infinity');
  const value = formatLongDouble(sum);
  table.put(key, value, entry?.expiresAt);
  return ok(value);
}

/** Redis's APPEND: the new length; the deadline stays. */
export function append(table: BucketTable, key: string, suffix: string): number {
  const entry = table.entry(key);
  const value = (entry?.value ?? '') + suffix;
  table.put(key, value, entry?.expiresAt);
  return value.length;
}

/** Redis's SETRANGE: the new length; the deadline stays, and an empty `value` writes nothing. */
export function setRange(table: BucketTable, key: string, offset: number, value: string): number {
  const entry = table.entry(key);
  const current = entry?.value ?? '';
  if (value === '') return current.length;
  const updated = current.padEnd(offset, '\0').slice(0, offset) + value + current.slice(offset + value.length);
  table.put(key, updated, entry?.expiresAt);
  return updated.length;
}

/** SET NX|XX: whether it wrote. */
export function putIf(table: BucketTable, op: Extract<BucketOp, { kind: 'putIf' }>): boolean {
  if ((table.get(op.key) !== undefined) !== op.exists) return false;
  table.put(op.key, op.value, op.expiresAt);
  return true;
}

/** SET with GET or KEEPTTL, and GETSET: the value the key had; written unless `exists` says otherwise. */
export function getSet(table: BucketTable, op: Extract<BucketOp, { kind: 'getSet' }>): string | undefined {
  const entry = table.entry(op.key);
  if (op.exists !== undefined && (entry !== undefined) !== op.exists) return entry?.value;
  table.put(op.key, op.value, op.keepTtl === true ? entry?.expiresAt : op.expiresAt);
  return entry?.value;
}

/**
 * Sets every entry in order (a key given twice keeps its last value); answers
 * how many keys were new. All or nothing: if a put throws (a bug), the entries
 * already set are put back before the crash, since the call answers
 * BUCKET_CRASHED and the crash handler stores what the batch left behind.
 */
export function putMany(table: BucketTable, entries: ReadonlyArray<[string, string]>): number {
  const replaced: Array<[string, StoredEntry | undefined]> = [];
  try {
    for (const [key, value] of entries) {
      const before = table.entry(key);
      table.put(key, value);
      replaced.push([key, before]);
    }
  } catch (thrown) {
    putBack(table, replaced);
    throw thrown;
  }
  return replaced.filter(([, before]) => before === undefined).length;
}

/** Undoes puts, newest first, so a key set twice ends as it was before the first. */
function putBack(table: BucketTable, replaced: ReadonlyArray<[string, StoredEntry | undefined]>): void {
  for (let index = replaced.length - 1; index >= 0; index--) {
    const [key, before] = replaced[index]!;
    if (before === undefined) table.delete(key);
    else table.put(key, before.value, before.expiresAt);
  }
}

/** MSETNX: all the entries if none of their keys exists, else none. */
export function putManyIfAbsent(table: BucketTable, entries: ReadonlyArray<[string, string]>): boolean {
  if (entries.some(([key]) => table.get(key) !== undefined)) return false;
  putMany(table, entries);
  return true;
}
