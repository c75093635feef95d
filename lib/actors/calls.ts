// Asking an actor and getting its answer, with what nact's `query` lacks:
// KvError instead of bare strings, an answer function instead of a temporary
// reference (a third of the cost of a round trip), and a registry of open
// calls, so that stopping the store answers every one of them instead of
// leaving them to time out (and their timers to keep the process alive).
//
// A call costs no promise and no timer of its own (open-calls.ts): the bucket
// path sends one message per batch, and a promise plus a timer each would be
// a large share of that message's cost.

import type { Ref } from 'nact';
import { now } from '../core/clock';
import { OpenCalls } from '../core/open-calls';
import type { Outcome } from '../core/operations';
import { errors, KvError, type ErrorData } from '../errors';
import type { ReplyTo } from './messages';
import { dispatchMessage } from './nact';

export class Calls {
  private readonly open: OpenCalls;

  constructor(private readonly timeoutMs: number) {
    this.open = new OpenCalls((describeTarget) => errors.timeout(describeTarget, timeoutMs).toData());
  }

  /**
   * Sends `build(replyTo)` to `target`; `answer` is called exactly once: with
   * the actor's answer, or with TIMEOUT at `deadline` (by default
   * `callTimeoutMs` from now; nact drops a message to a stopped actor
   * without a word: the timeout covers it), or with the error given to
   * `stop`. A late or second answer is ignored.
   */
  send<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string, answer: ReplyTo<Outcome<T>>, deadline = now() + this.timeoutMs): void {
    const call = this.open.open(answer, deadline, describeTarget);
    dispatchMessage(target, build((outcome) => this.open.close(call, outcome)));
  }

  /** The promise form of `send`: resolves with the answer's value, rejects with its KvError. */
  ask<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.send(target, build, describeTarget, (outcome: Outcome<T>) => (outcome.ok ? resolve(outcome.value) : reject(KvError.fromData(outcome.error)))),
    );
  }

  /** Answers every open call with `error` and clears the timer (the store stops). */
  stop(error: ErrorData): void {
    this.open.stop(error);
  }
}
