// Asking an actor and awaiting its answer, with what nact's `query` lacks:
// KvError instead of bare strings, an answer function instead of a temporary
// reference (a third of the cost of a round trip), and a registry of open
// calls, so that stopping the store answers every one of them instead of
// leaving them to time out (and their timers to keep the process alive).

import { dispatch, type Ref } from 'nact';
import { errors, KvError, type ErrorData } from '../errors';
import { failed, type Outcome, type ReplyTo } from './messages';

export class Calls {
  private readonly open = new Set<ReplyTo<Outcome<never>>>();

  constructor(private readonly timeoutMs: number) {}

  /**
   * Sends `build(replyTo)` to `target` and resolves with the answer's value.
   * Rejects with the answer's error, or with TIMEOUT after `timeoutMs` (nact
   * drops a message to a stopped actor without a word: the timeout covers it).
   */
  ask<Msg, T>(target: Ref<Msg>, build: (replyTo: ReplyTo<Outcome<T>>) => Msg, describeTarget: string, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.open.delete(replyTo);
        reject(errors.timeout(describeTarget, this.timeoutMs));
      }, timeoutMs);
      // Answered once: a late or second answer (stop racing a reply) is ignored.
      const replyTo = (answer: Outcome<T>): void => {
        if (!this.open.delete(replyTo)) return;
        clearTimeout(timer);
        if (answer.ok) resolve(answer.value);
        else reject(KvError.fromData(answer.error));
      };
      this.open.add(replyTo);
      dispatch(target, build(replyTo));
    });
  }

  /** Answers every call still waiting with `error`. */
  answerAll(error: ErrorData): void {
    for (const replyTo of [...this.open]) replyTo(failed(error));
  }
}
