// Lines all clients together may have cut into requests per event-loop turn,
// and requests all clients together may have in flight, shared in the order
// clients asked: with hundreds of clients pipelining thousands of requests
// each (to one hot bucket, say), a turn stays short, every client (a polite
// one included) is read every turn or two, and the requests in flight, the
// server's costliest objects to hold, stay few.

export class ReadQuota {
  private left: number;
  private inFlight = 0;
  private waiting: Array<() => void> = [];
  private refill: NodeJS.Immediate | undefined;

  constructor(
    private readonly perTurn: number,
    private readonly maxInFlight: number,
  ) {
    this.left = perTurn;
  }

  /** Grants up to `want` lines for this turn (0: none left; ask `wait`). */
  take(want: number): number {
    const granted = Math.max(0, Math.min(want, this.left, this.maxInFlight - this.inFlight));
    this.left -= granted;
    this.inFlight += granted;
    this.armRefill();
    return granted;
  }

  /** Returns lines granted and not used. */
  giveBack(lines: number): void {
    this.left += lines;
    this.inFlight -= lines;
  }

  /** A request's reply is ready: room for another. */
  answered(): void {
    this.inFlight--;
    if (this.waiting.length > 0) this.armRefill();
  }

  /** Calls `resume` once the quota is refilled, in the order clients asked. */
  wait(resume: () => void): void {
    this.waiting.push(resume);
    this.armRefill();
  }

  private armRefill(): void {
    this.refill ??= setImmediate(() => {
      this.refill = undefined;
      this.left = this.perTurn;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    });
  }
}
