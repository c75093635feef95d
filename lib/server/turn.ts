// One event-loop turn's worth of requests, from every connection, issued
// together, and one pass that writes every connection's ready replies.
//
// Issuing: the store batches the calls made in one turn per bucket, so a turn
// in which 50 clients each pipeline 16 requests over 100 buckets costs about
// one actor message per bucket, not one per request.
//
// Writing: a bucket answers in a setImmediate callback of the next turn's
// check phase (nact runs each message in one). A write pass queued right after
// the store has dispatched the turn's messages lands behind them in that same
// check phase, so their replies leave in that turn, not one turn later. That
// saves a loop iteration per request cycle, which in a closed loop means more
// requests per turn, hence bigger batches per bucket.

/** Something with requests to issue once the turn's reading is done. */
export interface TurnMember {
  issueWaiting(): void;
}

/** Something with replies to write. */
export interface Flushable {
  flush(): void;
}

export class Turn {
  private members: TurnMember[] = [];
  private scheduled = false;
  private dirty: Flushable[] = [];
  /** Write passes queued and not yet run. */
  private passesQueued = 0;

  /**
   * Calls `member.issueWaiting()` in this turn's check phase (setImmediate),
   * after the poll phase has delivered every readable socket's data.
   */
  join(member: TurnMember): void {
    this.members.push(member);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** Calls `member.flush()` in the next write pass; the caller calls this once per pass. */
  requestFlush(member: Flushable): void {
    this.dirty.push(member);
    if (this.passesQueued === 0) this.queuePass();
  }

  private run(): void {
    this.scheduled = false;
    const members = this.members;
    this.members = [];
    for (const member of members) member.issueWaiting();
    // The store sends its messages from microtasks queued while issuing;
    // this one runs after them, so the pass it queues is behind theirs.
    queueMicrotask(() => this.queuePass());
  }

  private queuePass(): void {
    this.passesQueued++;
    setImmediate(() => this.writePass());
  }

  private writePass(): void {
    this.passesQueued--;
    const dirty = this.dirty;
    this.dirty = [];
    for (const member of dirty) member.flush();
  }
}
