// Operations on a bucket and their outcomes: what the store submits, the
// actors apply, and the cluster carries between nodes. Plain JSON.

import type { ErrorData } from '../errors';

/** One operation on a bucket's table. */
export type BucketOp =
  | { kind: 'get'; key: string }
  | { kind: 'has'; key: string }
  /** Sets `key`; with `expiresAt` (epoch ms), the key expires then. */
  | { kind: 'put'; key: string; value: string; expiresAt?: number }
  /** Sets or (with 0) removes the key's expiry deadline; a deadline already past deletes it. Answers whether the key exists. */
  | { kind: 'expire'; key: string; expiresAt: number }
  /** Milliseconds until the key expires: -1 if it never does, -2 if there is no such key (as Redis's PTTL). */
  | { kind: 'ttl'; key: string }
  | { kind: 'delete'; key: string }
  /** A page of keys after `cursor` (0 starts), at most `count`, those matching the glob `match` if given. */
  | { kind: 'keys'; cursor: number; count: number; match?: string }
  /** How many keys the bucket holds. */
  | { kind: 'size' }
  /** Removes every key; answers how many there were. */
  | { kind: 'clear' }
  /** The values of `keys`, in order (null for a missing key: undefined does not cross JSON). */
  | { kind: 'getMany'; keys: string[] }
  /** Sets every entry, as one write: stored all together or not at all. Answers how many keys were new (HSET's count). */
  | { kind: 'putMany'; entries: Array<[string, string]> }
  /** Adds `by` (a decimal integer) to the 64-bit integer under `key` (missing: 0), keeping its deadline; answers the new value as a decimal string (Redis's INCRBY). */
  | { kind: 'incrBy'; key: string; by: string }
  /** Appends `value` to the value under `key` (missing: empty), keeping its deadline; answers the new length (Redis's APPEND). */
  | { kind: 'append'; key: string; value: string }
  /** Sets `key` only if it is absent (`exists: false`, Redis's NX) or present (true, XX); answers whether it did. */
  | { kind: 'putIf'; key: string; value: string; exists: boolean; expiresAt?: number }
  /**
   * Sets `key` as put does, only if it is absent (`exists: false`) or present (true) when `exists` is
   * given, keeping its deadline with `keepTtl`; answers the value it had, or undefined (Redis's SET ... GET, GETSET).
   */
  | { kind: 'getSet'; key: string; value: string; exists?: boolean; expiresAt?: number; keepTtl?: boolean }
  /** Answers the value under `key`, then sets or (with 0) removes its deadline; one already past deletes it (Redis's GETEX). */
  | { kind: 'getExpire'; key: string; expiresAt: number }
  /**
   * As expire, only if the key has no deadline (`nx`), has one (`xx`), or the new deadline is later (`gt`)
   * or earlier (`lt`) than its own (no deadline counts as the latest); answers 1 if it did, 0 if not, -2 if
   * there is no such key (Redis's EXPIRE NX|XX|GT|LT; PERSIST is expiresAt 0 with xx).
   */
  | { kind: 'expireIf'; key: string; expiresAt: number; nx?: boolean; xx?: boolean; gt?: boolean; lt?: boolean }
  /** The key's expiry deadline in epoch ms: -1 if it never expires, -2 if there is no such key (Redis's PEXPIRETIME). */
  | { kind: 'deadline'; key: string }
  /** Sets every entry, as one write, only if none of the keys exists; answers whether it did (Redis's MSETNX). */
  | { kind: 'putManyIfAbsent'; entries: Array<[string, string]> }
  /**
   * Writes `value` over the value under `key` (missing: empty) from byte `offset` on, padding with zero
   * bytes, keeping its deadline; an empty `value` writes nothing. Answers the new length (Redis's SETRANGE).
   */
  | { kind: 'setRange'; key: string; offset: number; value: string }
  /** Adds `by` (a float as Redis reads one) to the float under `key` (missing: 0), keeping its deadline; answers the new value as Redis prints it (INCRBYFLOAT). */
  | { kind: 'incrByFloat'; key: string; by: string }
  /** Fault injection: makes the actor throw, as Process.exit/2 in the Elixir guide's tests. */
  | { kind: 'crash'; reason: string }
  /** Every entry with its deadline, at this point of the bucket's order (a replica's full copy is made from it). */
  | { kind: 'dump' }
  /** Replaces the whole contents with `entries`, as one write (a replica installing a full copy). */
  | { kind: 'replace'; entries: StoredEntries };

/** Entries with their expiry deadlines: [key, value, expiresAt (epoch ms, 0: never)]. */
export type StoredEntries = Array<[string, string, number]>;

/** One page of a key scan: some keys, and the cursor for the next page (0 when the scan is done). */
export interface KeyPage {
  cursor: number;
  keys: string[];
}

/** What one operation produced: a value (get/delete), a flag (has), a count, a page, values, or nothing. */
export type OpValue = string | boolean | number | undefined | KeyPage | Array<string | null> | StoredEntries;

/**
 * What each operation does to the table: only reads it, writes it so that
 * applying it a second time changes nothing more (a put, a delete, an
 * absolute deadline, a condition already met), or adds again each time it is
 * applied. Every kind must be placed here: a replica's copy may apply a step
 * twice, and only the first two kinds allow that (replication/primary.ts).
 */
const effects: Record<BucketOp['kind'], 'reads' | 'writes' | 'adds'> = {
  get: 'reads',
  has: 'reads',
  ttl: 'reads',
  keys: 'reads',
  size: 'reads',
  getMany: 'reads',
  deadline: 'reads',
  dump: 'reads',
  crash: 'reads',
  put: 'writes',
  delete: 'writes',
  clear: 'writes',
  putMany: 'writes',
  expire: 'writes',
  replace: 'writes',
  putIf: 'writes',
  getSet: 'writes',
  getExpire: 'writes',
  expireIf: 'writes',
  putManyIfAbsent: 'writes',
  setRange: 'writes',
  incrBy: 'adds',
  incrByFloat: 'adds',
  append: 'adds',
};

/** The operations that change the table (and so wait for its flush). */
export function isWrite(op: BucketOp): boolean {
  return effects[op.kind] !== 'reads';
}

/** Whether applying the operation a second time leaves the table as the first time did. */
export function isRepeatable(op: BucketOp): boolean {
  return effects[op.kind] !== 'adds';
}

/** The result of one operation, or of one call. Read-only: one outcome may be shared by many calls. */
export type Outcome<T = OpValue> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorData };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
/** The outcome of every write that returns nothing, shared: one fewer object per PUT. Frozen, as callers may keep it. */
export const okEmpty: Outcome<undefined> = Object.freeze({ ok: true, value: undefined }) as Outcome<undefined>;
export const failed = (error: ErrorData): Outcome<never> => ({ ok: false, error });
