// One event-loop turn's worth of requests, from every connection, issued
// together: the store batches the calls made in one turn per bucket, so a turn
// in which 50 clients each pipeline 16 requests over 100 buckets costs about
// one actor message per bucket, not one per request.

/** Something with requests to issue once the turn's reading is done. */
export interface TurnMember {
  issueWaiting(): void;
}

export class Turn {
  private members: TurnMember[] = [];
  private scheduled = false;

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

  private run(): void {
    this.scheduled = false;
    const members = this.members;
    this.members = [];
    for (const member of members) member.issueWaiting();
  }
}
