// Groups the operations issued for one bucket in the same turn of the event
// loop into one message. nact moves one message per setImmediate turn (~3 us),
// so a pipelined burst of 16 commands to a bucket costs one message, not 16.
// Order per bucket is kept: a batch is sent before the next one is started.

import { KvError } from '../errors';
import type { BucketOp, OpValue, Outcome } from './messages';

/** Sends one batch for `bucket`; resolves with one outcome per operation. */
export type SendBatch = (bucket: string, ops: BucketOp[]) => Promise<Outcome[]>;

interface Pending {
  ops: BucketOp[];
  settlers: Array<{ resolve: (value: OpValue) => void; reject: (error: KvError) => void }>;
}

/** The most operations in one message, so one bucket cannot starve the others. */
const maxBatchSize = 512;

export class Batcher {
  private readonly pending = new Map<string, Pending>();
  private flushScheduled = false;

  constructor(private readonly send: SendBatch) {}

  /** Queues `op` for `bucket`; resolves with its value or rejects with its KvError. */
  run(bucket: string, op: BucketOp): Promise<OpValue> {
    let batch = this.pending.get(bucket);
    if (!batch) {
      batch = { ops: [], settlers: [] };
      this.pending.set(bucket, batch);
      this.scheduleFlush();
    }
    const result = new Promise<OpValue>((resolve, reject) => batch.settlers.push({ resolve, reject }));
    batch.ops.push(op);
    // A crash ends its batch, so the operations after it reach the new incarnation.
    if (op.kind === 'crash' || batch.ops.length >= maxBatchSize) this.flushBucket(bucket, batch);
    return result;
  }

  /** Sends everything queued now. */
  flushAll(): void {
    this.flushScheduled = false;
    for (const [bucket, batch] of this.pending) this.flushBucket(bucket, batch);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flushAll());
  }

  private flushBucket(bucket: string, batch: Pending): void {
    this.pending.delete(bucket);
    this.send(bucket, batch.ops).then(
      (outcomes) => settleEach(batch, outcomes),
      (error: unknown) => rejectAll(batch, error instanceof KvError ? error : new KvError('INTERNAL', String(error))),
    );
  }
}

function settleEach(batch: Pending, outcomes: Outcome[]): void {
  batch.settlers.forEach((settler, index) => {
    const outcome = outcomes[index];
    if (outcome?.ok) settler.resolve(outcome.value);
    else settler.reject(outcome ? KvError.fromData(outcome.error) : new KvError('INTERNAL', 'a batch answer was short'));
  });
}

function rejectAll(batch: Pending, error: KvError): void {
  for (const settler of batch.settlers) settler.reject(error);
}
