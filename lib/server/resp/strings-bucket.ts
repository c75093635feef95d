// The strings bucket: Redis's plain string keys live in one bucket
// (options.stringsBucket), which is created on demand, so that redis-benchmark's
// SET, GET, INCR and MSET run unchanged. Every string command is one operation
// on it, submitted here.

import { toErrorData } from '../../errors';
import type { BucketOp, OpValue, Outcome } from '../../store';
import { encodeOutcome, type Answer, type CommandContext } from './command';

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

/** Runs `op` on the strings bucket and answers `encode(value)`, or the store's error. */
export function stringOp(context: CommandContext, op: BucketOp, encode: (value: never) => string, answer: Answer): void {
  onStrings(context, op, (outcome) => answer(encodeOutcome(outcome, encode)));
}

/** The strings bucket's answer to `op`, as a promise, for commands of several steps. */
export function askStrings<T extends OpValue>(context: CommandContext, op: BucketOp): Promise<T> {
  return new Promise((resolve, reject) => onStrings(context, op, (outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(outcome.error))));
}
