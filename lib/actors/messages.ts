// Every message the actors exchange, as discriminated unions in one place. Each
// message that wants an answer carries its `replyTo` (nact's typings omit
// ctx.sender). Operations and outcomes are plain JSON, so they cross the
// cluster transport; the messages themselves never leave their node (the
// owner re-creates them locally), so `replyTo` is a local function.

import type { ErrorData } from '../errors';

/**
 * Where an actor sends its answer. A plain function rather than a nact
 * temporary reference: nact's `query` costs a Deferral, a timer and a
 * reference table entry per message, about a third of a bucket's round trip.
 */
export type ReplyTo<T> = (answer: T) => void;

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

/**
 * Operations for one bucket, applied in order as one actor message (a
 * pipelined burst costs one nact message, not one each). The handler pushes
 * each result onto `results` as it goes, so that if it crashes, the crash
 * handler knows which operations were applied.
 */
export interface BatchMsg {
  type: 'batch';
  ops: BucketOp[];
  results: Outcome[];
  replyTo: ReplyTo<Outcome<Outcome[]>>;
}

export type BucketMsg = BatchMsg;

/** Asks the registry to make sure a bucket exists and runs (idempotent). */
export interface CreateMsg {
  type: 'create';
  bucket: string;
  replyTo: ReplyTo<Outcome<null>>;
}

export type RegistryMsg = CreateMsg;

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
/** The outcome of every write that returns nothing, shared: one fewer object per PUT. Frozen, as callers may keep it. */
export const okEmpty: Outcome<undefined> = Object.freeze({ ok: true, value: undefined }) as Outcome<undefined>;
export const failed = (error: ErrorData): Outcome<never> => ({ ok: false, error });
