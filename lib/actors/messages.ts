// Every message the actors exchange, as discriminated unions in one place. Each
// message that wants an answer carries its `replyTo` (nact's typings omit
// ctx.sender). The messages never leave their node (the owner re-creates them
// from the operations a peer sends), so `replyTo` is a local function.

import type { BucketOp, Outcome } from '../core/operations';

/**
 * Where an actor sends its answer. A plain function rather than a nact
 * temporary reference: nact's `query` costs a Deferral, a timer and a
 * reference table entry per message, about a third of a bucket's round trip.
 */
export type ReplyTo<T> = (answer: T) => void;

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

/**
 * Asks a bucket's actor to answer and stop, after every message sent to it
 * before: the registry's drop waits for it, so no batch is lost in between.
 */
export interface RetireMsg {
  type: 'retire';
  replyTo: ReplyTo<null>;
}

export type BucketMsg = BatchMsg | RetireMsg;

/** Asks the registry to make sure a bucket exists and runs (idempotent). */
export interface CreateMsg {
  type: 'create';
  bucket: string;
  replyTo: ReplyTo<Outcome<null>>;
}

/** Asks the registry to remove a bucket with its keys (NOT_FOUND if it does not exist). */
export interface DropMsg {
  type: 'drop';
  bucket: string;
  replyTo: ReplyTo<Outcome<null>>;
}

export type RegistryMsg = CreateMsg | DropMsg;
