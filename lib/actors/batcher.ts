// Keeps at most one message in flight per bucket and groups every operation
// issued meanwhile into the next one. nact moves one message per setImmediate
// turn (~3 us), so a pipelined burst costs one message, not one each, while a
// lone call is sent at the end of the current microtask, with no extra turn. Order per bucket
// is kept: batches are sent one after the other, in the order they were begun.

import { KvError } from '../errors';
import { failed, type BucketOp, type Outcome } from './messages';

/**
 * Sends one batch for `bucket`; resolves with one outcome per operation.
 * `timeoutMs`, when given, is what is left of the batch's time to answer.
 */
export type SendBatch = (bucket: string, ops: BucketOp[], timeoutMs?: number) => Promise<Outcome[]>;

/** Called once with an operation's outcome. */
export type Settle = (outcome: Outcome) => void;

interface Batch {
  ops: BucketOp[];
  settlers: Settle[];
  /** A closed batch takes no more operations (it ended with a crash, or is full). */
  closed: boolean;
  /** When its first call was made: its calls time out `timeoutMs` after it, however long they queued. */
  startedAt: number;
}

interface BucketQueue {
  inFlight: boolean;
  waiting: Batch[];
}

/** The most operations in one message, so one bucket cannot hold the others up for long. */
const maxBatchSize = 512;

export class Batcher {
  private readonly queues = new Map<string, BucketQueue>();

  constructor(
    private readonly send: SendBatch,
    private readonly timeoutMs: number,
    private readonly timedOut: (bucket: string) => KvError,
  ) {}

  /** Queues `op` for `bucket`; `settle` is called once with its outcome. */
  submit(bucket: string, op: BucketOp, settle: Settle): void {
    let queue = this.queues.get(bucket);
    if (!queue) {
      queue = { inFlight: false, waiting: [] };
      this.queues.set(bucket, queue);
    }
    let batch = queue.waiting[queue.waiting.length - 1];
    if (!batch || batch.closed) {
      batch = { ops: [], settlers: [], closed: false, startedAt: Date.now() };
      queue.waiting.push(batch);
    }
    batch.settlers.push(settle);
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
  }

  private sendNext(bucket: string, queue: BucketQueue): void {
    let batch = queue.waiting.shift();
    let left = 0;
    // A batch that queued past its time behind a bucket that did not answer fails now.
    while (batch && (left = batch.startedAt + this.timeoutMs - Date.now()) <= 0) {
      rejectAll(batch, this.timedOut(bucket));
      batch = queue.waiting.shift();
    }
    if (!batch) {
      queue.inFlight = false;
      this.queues.delete(bucket);
      return;
    }
    queue.inFlight = true;
    const sent = batch;
    this.send(bucket, sent.ops, left).then(
      (outcomes) => {
        settleEach(sent, outcomes);
        this.sendNext(bucket, queue);
      },
      (error: unknown) => {
        rejectAll(sent, error instanceof KvError ? error : new KvError('INTERNAL', String(error)));
        this.sendNext(bucket, queue);
      },
    );
  }
}

/** Settles each call of a batch with its outcome. */
export function settleEach(batch: { settlers: Settle[] }, outcomes: Outcome[]): void {
  batch.settlers.forEach((settle, index) => settle(outcomes[index] ?? failed({ code: 'INTERNAL', message: 'a batch answer was short' })));
}

export function rejectAll(batch: { settlers: Settle[] }, error: KvError): void {
  const outcome = failed(error.toData());
  for (const settle of batch.settlers) settle(outcome);
}
