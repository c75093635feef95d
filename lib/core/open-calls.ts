// Calls waiting for an answer, each with a deadline: the actors' calls
// (calls.ts) and a cluster connection's requests (cluster/connection.ts). A
// call costs no timer of its own: one timer, armed for the earliest deadline,
// times out every call past its deadline.
//
// The calls form a linked list rather than a Set or Map: a Set with an entry
// added and deleted per message rehashes into new tables, and an obsolete
// table in V8's old generation keeps pointing at the entries it held, which
// the young generation's collector treats as roots: every call, and the
// request behind it, would be promoted. An unlinked call keeps no neighbour,
// so it holds nothing up.

import type { ErrorData } from '../errors';
import { now } from './clock';
import { failed, type Outcome } from './operations';

/** An open call: where its answer goes, when it times out, what it waits for. */
export class OpenCall<T = unknown> {
  prev: OpenCall | undefined;
  next: OpenCall | undefined;
  open = true;

  constructor(
    readonly answer: (outcome: Outcome<T>) => void,
    readonly deadline: number,
    /** What the call waits for, for its TIMEOUT error: "bucket shopping", say. */
    readonly describeTarget: string,
  ) {}
}

export class OpenCalls {
  private first: OpenCall | undefined;
  private last: OpenCall | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires. */
  private timerAt = Infinity;

  /** `timedOut` is the error a call gets when its deadline passes. */
  constructor(private readonly timedOut: (describeTarget: string) => ErrorData) {}

  /** Calls waiting for their answer. */
  get size(): number {
    return this.count;
  }

  /**
   * Opens a call: `answer` will be called exactly once, by `close` or with
   * `timedOut` at `deadline` (a clock.ts time). `deadline` must be within
   * what a Node timer can wait (options.ts refuses longer durations).
   */
  open<T>(answer: (outcome: Outcome<T>) => void, deadline: number, describeTarget: string): OpenCall<T> {
    const call = new OpenCall(answer, deadline, describeTarget);
    this.link(call as OpenCall);
    if (deadline < this.timerAt) this.arm(deadline);
    else if (this.count === 1) this.timer?.ref();
    return call;
  }

  /** Answers `call` with `outcome` unless it was answered already (a late or second answer is ignored). */
  close<T>(call: OpenCall<T>, outcome: Outcome<T>): void {
    if (!call.open) return;
    call.open = false;
    this.unlink(call as OpenCall);
    // Left armed but unreferenced: the next call most often comes within the
    // same turn, and re-arming a timer per turn cost more than the calls.
    if (this.count === 0) this.timer?.unref();
    call.answer(outcome);
  }

  /** Answers every open call with `error`. */
  closeAll(error: ErrorData): void {
    const outcome = failed(error);
    while (this.first) this.close(this.first, outcome);
  }

  /** Answers every open call with `error` and clears the timer (its owner stops; it opens no call after this). */
  stop(error: ErrorData): void {
    this.closeAll(error);
    this.disarm();
  }

  private link(call: OpenCall): void {
    call.prev = this.last;
    if (this.last) this.last.next = call;
    else this.first = call;
    this.last = call;
    this.count++;
  }

  private unlink(call: OpenCall): void {
    if (call.prev) call.prev.next = call.next;
    else this.first = call.next;
    if (call.next) call.next.prev = call.prev;
    else this.last = call.prev;
    call.prev = call.next = undefined;
    this.count--;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Times out every call past its deadline, and arms the timer for the next one. */
  private sweep(): void {
    this.disarm();
    const at = now();
    // Collected first: answering may open calls or close others.
    const expired: OpenCall[] = [];
    for (let call = this.first; call; call = call.next) if (call.deadline <= at) expired.push(call);
    try {
      for (const call of expired) this.close(call, failed(this.timedOut(call.describeTarget)));
    } finally {
      // Even if an answer threw, the calls left open keep a timer.
      let next = Infinity;
      for (let call = this.first; call; call = call.next) next = Math.min(next, call.deadline);
      if (next !== Infinity) this.arm(next);
    }
  }
}
