// Keeps at most one message in flight per bucket and groups every operation
// issued meanwhile into the next one. nact moves one message per setImmediate
// turn (~3 us), so a pipelined burst costs one message, not one each, while a
// lone call is sent at the end of the current microtask, with no extra turn.
// Order per bucket is kept: batches are sent one after the other, in the
// order they were begun.

import { now } from '../core/clock';
import { turnNow, type OperationCounts } from '../core/metrics';
import type { BucketOp, Outcome } from '../core/operations';
import { rejectAll, settleEach, type Settle } from '../core/settle';
import type { ErrorData } from '../errors';

/** Called once with a batch's answer: one outcome per operation, or why none was applied. */
export type BatchAnswer = (answer: Outcome<Outcome[]>) => void;

/**
 * Sends one batch for `bucket`; `answer` is called exactly once, possibly
 * before it returns. `deadline` (a clock.ts time) is when the batch's calls time out.
 */
export type SendBatch = (bucket: string, ops: BucketOp[], deadline: number, answer: BatchAnswer) => void;

interface Batch {
  ops: BucketOp[];
  settlers: Settle[];
  /** A closed batch takes no more operations (it ended with a crash, or is full). */
  closed: boolean;
  /** Its calls time out then, `timeoutMs` after the first was made, however long they queued. */
  deadline: number;
  /** The batch begun after it, in its queue. */
  next: Batch | undefined;
  /** With metrics: which operations the store's callers made (the others a peer sent), and when the batch began. */
  counted: boolean[] | undefined;
  begun: number;
}

/**
 * One bucket's calls not yet answered: the batch in flight, and the batches
 * waiting behind it, as a list. A queue lives as long as its bucket's record
 * and holds no batch while idle, so a turn costs no queue of its own.
 */
export class BucketQueue {
  inFlight: Batch | undefined;
  /** The oldest batch not yet sent. */
  first: Batch | undefined;
  /** The newest: it takes new calls unless it is closed. */
  last: Batch | undefined;
  /** Whether a send is due at the end of this microtask (the queue was idle). */
  sendDue = false;

  constructor(readonly bucket: string) {}
}

/** How many operations of `queue` are not yet answered (in flight or waiting). */
export function waiting(queue: BucketQueue): number {
  let count = queue.inFlight?.ops.length ?? 0;
  for (let batch = queue.first; batch; batch = batch.next) if (batch !== queue.inFlight) count += batch.ops.length;
  return count;
}

/** The most operations in one message, so one bucket cannot hold the others up for long. */
const maxBatchSize = 512;

export class Batcher {
  constructor(
    private readonly send: SendBatch,
    private readonly timeoutMs: number,
    private readonly timedOut: (bucket: string) => ErrorData,
    /**
     * Where the store's calls are counted, if it reports metrics: here, a
     * batch at a time, since a closure per call to time it cost ~0.1 µs.
     */
    private readonly counts?: OperationCounts,
  ) {}

  /** Queues `op` on `queue`; `settle` is called once with its outcome. `counted`: a call of the store's, for its metrics. */
  submit(queue: BucketQueue, op: BucketOp, settle: Settle, counted = false): void {
    let batch = queue.last;
    // A batch past its deadline (it queued behind a bucket that did not
    // answer, and is about to fail) takes no new call: that call has its own time.
    if (!batch || batch.closed || batch.deadline <= now()) {
      const counting = this.counts !== undefined;
      batch = { ops: [], settlers: [], closed: false, deadline: now() + this.timeoutMs, next: undefined, counted: counting ? [] : undefined, begun: counting ? turnNow() : 0 };
      if (queue.last) queue.last.next = batch;
      else queue.first = batch;
      queue.last = batch;
    }
    batch.settlers.push(settle);
    batch.ops.push(op);
    batch.counted?.push(counted);
    // A crash ends its batch, so the operations after it reach the new incarnation.
    if (op.kind === 'crash' || batch.ops.length >= maxBatchSize) batch.closed = true;
    if (!queue.inFlight && !queue.sendDue) {
      // Send at the end of this synchronous run, so that a burst issued in
      // one go (a server's turn of pipelined requests) is one message, not a
      // lone first call followed by the rest.
      queue.sendDue = true;
      queueMicrotask(() => this.sendNext(queue));
    }
  }

  /** Queues every operation of `ops` on `queue`, in order; `answer` is called once with their outcomes. */
  submitAll(queue: BucketQueue, ops: readonly BucketOp[], answer: (outcomes: Outcome[]) => void): void {
    const outcomes: Outcome[] = new Array(ops.length);
    let waiting = ops.length;
    if (waiting === 0) return answer(outcomes);
    for (let index = 0; index < ops.length; index++) {
      this.submit(queue, ops[index]!, (outcome) => {
        outcomes[index] = outcome;
        if (--waiting === 0) answer(outcomes);
      });
    }
  }

  /**
   * Sends the queue's next batch, if any. A batch answered at once (its
   * bucket is gone or failed, or the store stopped) lets the loop go on to
   * the next, rather than recursing: a long queue cannot overflow the stack.
   */
  private sendNext(queue: BucketQueue): void {
    for (;;) {
      // Still marked due while expired batches are rejected, so calls their
      // settles make join the queue instead of scheduling a second send.
      const batch = this.takeUnexpired(queue);
      queue.sendDue = false;
      queue.inFlight = batch;
      if (!batch) return;
      let sending = true;
      let answeredAtOnce = false;
      this.send(queue.bucket, batch.ops, batch.deadline, (answer) => {
        this.count(batch, answer);
        if (answer.ok) settleEach(batch, answer.value);
        else rejectAll(batch, answer.error);
        if (sending) answeredAtOnce = true;
        else this.sendNext(queue);
      });
      sending = false;
      if (!answeredAtOnce) return;
    }
  }

  /** Counts the store's calls in `batch`, by verb and result, with the batch's latency. */
  private count(batch: Batch, answer: Outcome<Outcome[]>): void {
    const flags = batch.counted;
    if (!flags || !this.counts) return;
    const ms = turnNow() - batch.begun;
    for (let index = 0; index < flags.length; index++) {
      if (!flags[index]) continue;
      const outcome = answer.ok ? answer.value[index] : answer;
      this.counts.record(batch.ops[index]!.kind, outcome === undefined || outcome.ok ? undefined : outcome.error.code, ms);
    }
  }

  /** The oldest waiting batch whose time is not up; the ones before it, which queued past their time behind a bucket that did not answer, fail now. */
  private takeUnexpired(queue: BucketQueue): Batch | undefined {
    let batch = takeFirst(queue);
    if (!batch) return undefined;
    const at = now();
    while (batch && batch.deadline <= at) {
      const error = this.timedOut(queue.bucket);
      this.count(batch, { ok: false, error });
      rejectAll(batch, error);
      batch = takeFirst(queue);
    }
    return batch;
  }
}

/** Removes the oldest waiting batch from `queue` and returns it. */
function takeFirst(queue: BucketQueue): Batch | undefined {
  const batch = queue.first;
  if (!batch) return undefined;
  queue.first = batch.next;
  if (!queue.first) queue.last = undefined;
  batch.next = undefined;
  return batch;
}
