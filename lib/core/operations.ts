// Operations on a bucket and their outcomes: what the store submits, the
// actors apply, and the cluster carries between nodes. Plain JSON.

import type { ErrorData } from '../errors';

/** One operation on a bucket's table. */
export type BucketOp =
  | { kind: 'get'; key: string }
  | { kind: 'has'; key: string }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  /** Fault injection: makes the actor throw, as Process.exit/2 in the Elixir guide's tests. */
  | { kind: 'crash'; reason: string };

/** What one operation produced: a value (get/delete), a flag (has), or nothing. */
export type OpValue = string | boolean | undefined;

/** The result of one operation, or of one call. Read-only: one outcome may be shared by many calls. */
export type Outcome<T = OpValue> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorData };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
/** The outcome of every write that returns nothing, shared: one fewer object per PUT. Frozen, as callers may keep it. */
export const okEmpty: Outcome<undefined> = Object.freeze({ ok: true, value: undefined }) as Outcome<undefined>;
export const failed = (error: ErrorData): Outcome<never> => ({ ok: false, error });
