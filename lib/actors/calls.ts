// Asking an actor and awaiting its answer, on top of nact's `query`, with what
// nact lacks: KvError instead of bare strings, and a registry of open calls so
// that stopping the store answers every one of them instead of leaving them to
// time out (and their timers to keep the process alive).

import { dispatch, query, type Ref } from 'nact';
import { KvError, type ErrorData } from '../errors';
import { failed, type Outcome } from './messages';

const nactTimeoutMessage = 'Query Timeout';

export class Calls {
  private readonly open = new Set<Ref<Outcome<never>>>();

  constructor(private readonly timeoutMs: number) {}

  /**
   * Sends `build(replyTo)` to `target` and resolves with the answer's value.
   * Rejects with the answer's error, with TIMEOUT after `timeoutMs`, or with
   * `whenGone` if the target actor no longer exists.
   */
  ask<Msg, T>(
    target: Ref<Msg>,
    build: (replyTo: Ref<Outcome<T>>) => Msg,
    describeTarget: string,
    whenGone: () => KvError,
  ): Promise<T> {
    let replyTo: Ref<Outcome<T>> | undefined;
    const answered = query(
      target,
      (temporary: Ref<Outcome<T>>) => {
        replyTo = temporary;
        this.open.add(temporary);
        return build(temporary);
      },
      this.timeoutMs,
    );
    return answered.then(
      (answer: Outcome<T>) => {
        if (replyTo) this.open.delete(replyTo);
        if (!answer.ok) throw KvError.fromData(answer.error);
        return answer.value;
      },
      (thrown: unknown) => {
        if (replyTo) this.open.delete(replyTo);
        if (thrown instanceof Error && thrown.message === nactTimeoutMessage) {
          throw new KvError('TIMEOUT', `${describeTarget} did not answer within ${this.timeoutMs} ms (see callTimeoutMs)`);
        }
        throw whenGone();
      },
    );
  }

  /** Answers every call still waiting with `error`. */
  answerAll(error: ErrorData): void {
    for (const replyTo of this.open) dispatch(replyTo, failed(error));
    this.open.clear();
  }
}
