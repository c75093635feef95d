// The operations on a key's expiry deadline, applied by the bucket's actor in
// one step: Redis's EXPIRE family (with NX, XX, GT, LT), GETEX, PTTL and
// PEXPIRETIME. A deadline is epoch ms, 0 for none.

import { wallNow } from '../core/clock';
import type { BucketOp } from '../core/operations';
import type { BucketTable } from '../storage/storage';

/** Sets (or with 0 removes) a key's deadline; one already past deletes the key, as Redis's EXPIRE does. */
export function expire(table: BucketTable, key: string, expiresAt: number): boolean {
  const entry = table.entry(key);
  if (!entry) return false;
  if (expiresAt !== 0 && expiresAt <= wallNow()) table.delete(key);
  else if (expiresAt !== entry.expiresAt) table.put(key, entry.value, expiresAt);
  return true;
}

/** No deadline is later than every deadline, as Redis's GT and LT take it. */
const latest = (expiresAt: number): number => (expiresAt === 0 ? Infinity : expiresAt);

/** EXPIRE with conditions: 1 if the deadline was set, 0 if a condition held it back, -2 for no key. */
export function expireIf(table: BucketTable, op: Extract<BucketOp, { kind: 'expireIf' }>): number {
  const current = table.entry(op.key)?.expiresAt;
  if (current === undefined) return -2;
  const held =
    (op.nx === true && current !== 0) ||
    (op.xx === true && current === 0) ||
    (op.gt === true && !(latest(op.expiresAt) > latest(current))) ||
    (op.lt === true && !(latest(op.expiresAt) < latest(current)));
  if (held) return 0;
  expire(table, op.key, op.expiresAt);
  return 1;
}

/** GETEX: the value, then the new deadline (0: none; past: the key goes). */
export function getExpire(table: BucketTable, key: string, expiresAt: number): string | undefined {
  const value = table.get(key);
  if (value !== undefined) expire(table, key, expiresAt);
  return value;
}

/** As Redis's PTTL: milliseconds left, -1 for a key without a deadline, -2 for no key. */
export function timeToLive(table: BucketTable, key: string): number {
  const entry = table.entry(key);
  if (!entry) return -2;
  return entry.expiresAt === 0 ? -1 : Math.max(0, entry.expiresAt - wallNow());
}

/** As Redis's PEXPIRETIME: the deadline, -1 for a key without one, -2 for no key. */
export function deadline(table: BucketTable, key: string): number {
  const entry = table.entry(key);
  if (!entry) return -2;
  return entry.expiresAt === 0 ? -1 : entry.expiresAt;
}
