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
import { failed, type Outcome, type ReplyTo } from './messages';

// nact's dispatch takes a third argument, the sender, left out of its
// typings, and builds a new Nobody reference (three objects) for every message
// sent without one. Our messages carry their replyTo, so they share this one.
const noSender = { system: { name: undefined }, path: { parts: [] }, type: 'nobody' };
const dispatchFromNobody = dispatch as <Msg>(target: Ref<Msg>, message: Msg, sender: typeof noSender) => void;

/** An open call: where its answer goes, and when it times out. */
interface OpenCall<T> {
  answer: ReplyTo<Outcome<T>>;
  deadline: number;
  describeTarget: string;
}

export class Calls {
  /** Open calls by their replyTo, in the order they were made. */
  private readonly open = new Map<ReplyTo<Outcome<never>>, OpenCall<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires. */
  private timerAt = Infinity;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Sends `build(replyTo)` to `target`; `answer` is called exactly once: with
   * the actor's answer, or with TIMEOUT at `deadline` (by default
   * `callTimeoutMs` from now; nact drops a message
   * to a stopped actor without a word: the timeout covers it), or with the
   * error given to `answerAll`. A late or second answer is ignored.
   */
  send<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string, answer: ReplyTo<Outcome<T>>, deadline = Date.now() + this.timeoutMs): void {
    const call: OpenCall<T> = { answer, deadline, describeTarget };
    const replyTo = (outcome: Outcome<T>): void => {
      if (!this.open.delete(replyTo)) return;
      if (this.open.size === 0) this.disarm();
      call.answer(outcome);
    };
    this.open.set(replyTo, call as OpenCall<unknown>);
    if (call.deadline < this.timerAt) this.arm(call.deadline);
    dispatchFromNobody(target, build(replyTo), noSender);
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
    for (const replyTo of [...this.open.keys()]) replyTo(outcome);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - Date.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Times out every call past its deadline, and arms the timer for the next one. */
  private sweep(): void {
    this.disarm();
    const now = Date.now();
    let next = Infinity;
    for (const [replyTo, call] of [...this.open]) {
      if (call.deadline <= now) replyTo(failed(errors.timeout(call.describeTarget, this.timeoutMs).toData()));
      else next = Math.min(next, call.deadline);
    }
    if (next !== Infinity && this.open.size > 0) this.arm(next);
  }
}
