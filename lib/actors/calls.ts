// Asking an actor and getting its answer, with what nact's `query` lacks:
// KvError instead of bare strings, an answer function instead of a temporary
// reference (a third of the cost of a round trip), and a registry of open
// calls, so that stopping the store answers every one of them instead of
// leaving them to time out (and their timers to keep the process alive).
//
// A call costs no promise and no timer of its own: the bucket path sends one
// message per batch, and a promise plus a timer each were a large share of
// that message's cost. One timer, armed for the earliest deadline, sweeps the
// open calls instead.

import { dispatch, type Ref } from 'nact';
import { errors, KvError, type ErrorData } from '../errors';
import { now } from './clock';
import { failed, type Outcome, type ReplyTo } from './messages';

// nact's dispatch takes a third argument, the sender, left out of its
// typings, and builds a new Nobody reference (three objects) for every message
// sent without one. Our messages carry their replyTo, so they share this one.
const noSender = Object.freeze({ system: Object.freeze({ name: undefined }), path: Object.freeze({ parts: Object.freeze([]) }), type: 'nobody' });
const dispatchFromNobody = dispatch as <Msg>(target: Ref<Msg>, message: Msg, sender: typeof noSender) => void;

/**
 * An open call: where its answer goes, when it times out, and its neighbours
 * in the list of open calls.
 */
class OpenCall<T> {
  prev: OpenCall<unknown> | undefined;
  next: OpenCall<unknown> | undefined;
  open = true;

  constructor(
    readonly answer: ReplyTo<Outcome<T>>,
    readonly deadline: number,
    readonly describeTarget: string,
  ) {}
}

export class Calls {
  // The open calls, oldest first, as a linked list rather than a Set: a Set
  // (or Map) with an entry added and deleted per message rehashes into new tables,
  // and an obsolete table that reached the old generation keeps pointing at
  // the entries it held. The scavenger treats those pointers as roots, so
  // every call (and the requests behind it) survived into the old
  // generation: a third of all allocation, and most of the GC time at depth.
  // An unlinked call keeps no neighbour, so it holds nothing up.
  private first: OpenCall<unknown> | undefined;
  private last: OpenCall<unknown> | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires. */
  private timerAt = Infinity;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Sends `build(replyTo)` to `target`; `answer` is called exactly once: with
   * the actor's answer, or with TIMEOUT at `deadline` (by default
   * `callTimeoutMs` from now; nact drops a message to a stopped actor
   * without a word: the timeout covers it), or with the error given to
   * `answerAll`. A late or second answer is ignored.
   */
  send<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string, answer: ReplyTo<Outcome<T>>, deadline = now() + this.timeoutMs): void {
    const call = new OpenCall(answer, deadline, describeTarget);
    this.link(call as OpenCall<unknown>);
    if (deadline < this.timerAt) this.arm(deadline);
    else if (this.count === 1) this.timer?.ref();
    dispatchFromNobody(target, build((outcome) => this.close(call, outcome)), noSender);
  }

  /** The promise form of `send`: resolves with the answer's value, rejects with its KvError. */
  ask<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.send(target, build, describeTarget, (outcome: Outcome<T>) => (outcome.ok ? resolve(outcome.value) : reject(KvError.fromData(outcome.error)))),
    );
  }

  /** Answers every call still waiting with `error`. */
  answerAll(error: ErrorData): void {
    const outcome = failed(error);
    while (this.first) this.close(this.first, outcome);
  }

  /** Answers `call` unless it was answered already. */
  private close<T>(call: OpenCall<T>, outcome: Outcome<T>): void {
    if (!call.open) return;
    call.open = false;
    this.unlink(call as OpenCall<unknown>);
    // Left armed but unreferenced: the next call most often comes within the
    // same turn, and re-arming a timer per turn cost more than the calls.
    if (this.count === 0) this.timer?.unref();
    call.answer(outcome);
  }

  private link(call: OpenCall<unknown>): void {
    call.prev = this.last;
    if (this.last) this.last.next = call;
    else this.first = call;
    this.last = call;
    this.count++;
  }

  private unlink(call: OpenCall<unknown>): void {
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
    // At most callTimeoutMs, which options.ts keeps within what a timer can wait.
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Answers every open call with `error` and clears the timer (the store stops). */
  stop(error: ErrorData): void {
    this.answerAll(error);
    this.disarm();
  }

  /** Times out every call past its deadline, and arms the timer for the next one. */
  private sweep(): void {
    this.disarm();
    const at = now();
    // Collected first: answering may open calls or close others.
    const expired: OpenCall<unknown>[] = [];
    for (let call = this.first; call; call = call.next) if (call.deadline <= at) expired.push(call);
    try {
      for (const call of expired) this.close(call, failed(errors.timeout(call.describeTarget, this.timeoutMs).toData()));
    } finally {
      // Even if an answer threw, the calls left open keep a timer.
      let next = Infinity;
      for (let call = this.first; call; call = call.next) next = Math.min(next, call.deadline);
      if (next !== Infinity) this.arm(next);
    }
  }
}
