// Keeps at most one message in flight per bucket and groups every operation
// issued meanwhile into the next one. nact moves one message per setImmediate
// turn (~3 us), so a pipelined burst costs one message, not one each, while a
// lone call is sent at the end of the current microtask, with no extra turn. Order per bucket
// is kept: batches are sent one after the other, in the order they were begun.

import { KvError } from '../errors';
import type { BucketOp, OpValue, Outcome } from './messages';

/** Sends one batch for `bucket`; resolves with one outcome per operation. */
export type SendBatch = (bucket: string, ops: BucketOp[]) => Promise<Outcome[]>;

export interface Settler {
  resolve: (value: OpValue) => void;
  reject: (error: KvError) => void;
}

interface Batch {
  ops: BucketOp[];
  settlers: Settler[];
  /** A closed batch takes no more operations (it ended with a crash, or is full). */
  closed: boolean;
}

interface BucketQueue {
  inFlight: boolean;
  waiting: Batch[];
}

/** The most operations in one message, so one bucket cannot hold the others up for long. */
const maxBatchSize = 512;

export class Batcher {
  private readonly queues = new Map<string, BucketQueue>();

  constructor(private readonly send: SendBatch) {}

  /** Queues `op` for `bucket`; resolves with its value or rejects with its KvError. */
  run(bucket: string, op: BucketOp): Promise<OpValue> {
    let queue = this.queues.get(bucket);
    if (!queue) {
      queue = { inFlight: false, waiting: [] };
      this.queues.set(bucket, queue);
    }
    let batch = queue.waiting[queue.waiting.length - 1];
    if (!batch || batch.closed) {
      batch = { ops: [], settlers: [], closed: false };
      queue.waiting.push(batch);
    }
    const target = batch;
    const result = new Promise<OpValue>((resolve, reject) => target.settlers.push({ resolve, reject }));
    batch.ops.push(op);
    // A crash ends its batch, so the operations after it reach the new incarnation.
    if (op.kind === 'crash' || batch.ops.length >= maxBatchSize) batch.closed = true;
    if (!queue.inFlight) {
      // Reserve the slot and send at the end of this synchronous run, so that
      // a burst issued in one go (a server's turn of pipelined requests) is
      // one message, not a lone first call followed by the rest.
      queue.inFlight = true;
      queueMicrotask(() => this.sendNext(bucket, queue));
    }
    return result;
  }

  private sendNext(bucket: string, queue: BucketQueue): void {
    const batch = queue.waiting.shift();
    if (!batch) {
      queue.inFlight = false;
      this.queues.delete(bucket);
      return;
    }
    queue.inFlight = true;
    this.send(bucket, batch.ops).then(
      (outcomes) => {
        settleEach(batch, outcomes);
        this.sendNext(bucket, queue);
      },
      (error: unknown) => {
        rejectAll(batch, error instanceof KvError ? error : new KvError('INTERNAL', String(error)));
        this.sendNext(bucket, queue);
      },
    );
  }
}

/** Settles each call of a batch with its outcome. */
export function settleEach(batch: { settlers: Settler[] }, outcomes: Outcome[]): void {
  batch.settlers.forEach((settler, index) => {
    const outcome = outcomes[index];
    if (outcome?.ok) settler.resolve(outcome.value);
    else settler.reject(outcome ? KvError.fromData(outcome.error) : new KvError('INTERNAL', 'a batch answer was short'));
  });
}

/** Rejects every call of a batch with one error. */
export function rejectAll(batch: { settlers: Settler[] }, error: KvError): void {
  for (const settler of batch.settlers) settler.reject(error);
}
