// Settling calls with their outcomes: one settle per call, called once, and a
// settle that throws (a caller's bug) harms no other call.

import type { ErrorData } from '../errors';
import { failed, type Outcome } from './operations';

/** Called once with an operation's outcome. */
export type Settle = (outcome: Outcome) => void;

/** Settles each call of a batch with its outcome. */
export function settleEach(batch: { settlers: Settle[] }, outcomes: Outcome[]): void {
  const { settlers } = batch;
  for (let index = 0; index < settlers.length; index++) {
    settleSafely(settlers[index]!, outcomes[index] ?? failed({ code: 'INTERNAL', message: 'a batch answer was short' }));
  }
}

/** Settles every call of a batch with the same error. */
export function rejectAll(batch: { settlers: Settle[] }, error: ErrorData): void {
  const outcome = failed(error);
  for (const settle of batch.settlers) settleSafely(settle, outcome);
}

/**
 * Settles run inside the answering actor's message handler: one that throws
 * (a caller's bug) must neither leave the rest of the batch unsettled nor
 * crash the bucket. Its error is rethrown on its own, as an uncaught
 * exception, the way Node reports a throwing callback.
 */
export function settleSafely(settle: Settle, outcome: Outcome): void {
  try {
    settle(outcome);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
