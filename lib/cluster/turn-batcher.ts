// Groups the operations issued for one bucket of a remote node in the same
// turn into one request frame, and sends it at once. Unlike the local Batcher
// (one message in flight per bucket), frames are not held back behind an
// unanswered one: the single connection keeps their order, so each call's
// timeout starts when it is made, and a hung peer cannot make a queue grow here.

import type { BucketOp, Outcome } from '../core/operations';
import { settleEach, type Settle } from '../core/settle';

/** Sends one batch to the owner; `answer` gets one outcome per operation. */
export type SendRemoteBatch = (bucket: string, ops: BucketOp[], answer: (outcomes: Outcome[]) => void) => void;

interface Pending {
  ops: BucketOp[];
  settlers: Settle[];
}

/** The most operations in one frame. */
const maxBatchSize = 512;

export class TurnBatcher {
  private readonly pending = new Map<string, Pending>();
  private flushScheduled = false;

  constructor(private readonly send: SendRemoteBatch) {}

  /** Queues `op` for `bucket` until the end of this turn; `settle` is called once with its outcome. */
  submit(bucket: string, op: BucketOp, settle: Settle): void {
    let batch = this.pending.get(bucket);
    if (!batch) {
      batch = { ops: [], settlers: [] };
      this.pending.set(bucket, batch);
      this.scheduleFlush();
    }
    batch.settlers.push(settle);
    batch.ops.push(op);
    if (batch.ops.length >= maxBatchSize) this.flush(bucket, batch);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      for (const [bucket, batch] of this.pending) this.flush(bucket, batch);
    });
  }

  private flush(bucket: string, batch: Pending): void {
    this.pending.delete(bucket);
    this.send(bucket, batch.ops, (outcomes) => settleEach(batch, outcomes));
  }
}
