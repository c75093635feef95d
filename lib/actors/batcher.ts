// Keeps at most one message in flight per bucket and groups every operation
// issued meanwhile into the next one. nact moves one message per setImmediate
// turn (~3 us), so a pipelined burst costs one message, not one each, while a
// lone call is sent at the end of the current microtask, with no extra turn. Order per bucket
// is kept: batches are sent one after the other, in the order they were begun.

import type { ErrorData } from '../errors';
import { failed, type BucketOp, type Outcome } from './messages';

/** Called once with a batch's answer: one outcome per operation, or why none was applied. */
export type BatchAnswer = (answer: Outcome<Outcome[]>) => void;

/**
 * Sends one batch for `bucket`; `answer` is called exactly once. `deadline`
 * (a Date.now() time) is when the batch's calls time out.
 */
export type SendBatch = (bucket: string, ops: BucketOp[], deadline: number, answer: BatchAnswer) => void;

/** Called once with an operation's outcome. */
export type Settle = (outcome: Outcome) => void;

interface Batch {
  ops: BucketOp[];
  settlers: Settle[];
  /** A closed batch takes no more operations (it ended with a crash, or is full). */
  closed: boolean;
  /** Its calls time out then, `timeoutMs` after the first was made, however long they queued. */
  deadline: number;
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
    private readonly timedOut: (bucket: string) => ErrorData,
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
      batch = { ops: [], settlers: [], closed: false, deadline: Date.now() + this.timeoutMs };
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
    // A batch that queued past its time behind a bucket that did not answer fails now.
    if (batch && batch.deadline <= Date.now()) {
      const now = Date.now();
      while (batch && batch.deadline <= now) {
        rejectAll(batch, this.timedOut(bucket));
        batch = queue.waiting.shift();
      }
    }
    if (!batch) {
      queue.inFlight = false;
      this.queues.delete(bucket);
      return;
    }
    queue.inFlight = true;
    const sent = batch;
    this.send(bucket, sent.ops, sent.deadline, (answer) => {
      if (answer.ok) settleEach(sent, answer.value);
      else rejectAll(sent, answer.error);
      this.sendNext(bucket, queue);
    });
  }
}

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
function settleSafely(settle: Settle, outcome: Outcome): void {
  try {
    settle(outcome);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
