// The client memory budget (Redis's maxmemory-clients): every byte the text
// server holds for its clients (input not yet cut into requests, requests in
// flight, replies not yet sent) counted against one limit. Past it, the
// biggest holders are paused as they grow (they are read again once the total
// is back under three quarters of it); past it by a quarter still, which only
// replies to clients that do not read can cause, the biggest holders are
// disconnected first, until the total is back under the limit.

/** One client, as the budget sees it. */
export interface BudgetMember {
  /** Bytes it holds now. */
  readonly heldBytes: number;
  /** Stop or go on reading from it because of the budget. */
  pauseForBudget(paused: boolean): void;
  /** Disconnect it: it holds too much while the budget is exhausted. */
  dropForBudget(total: number, limit: number): void;
}

/** Past the limit by this much (only unsent replies can push it there), the biggest clients go. */
const dropFactor = 1.25;
/** Under this share of the limit, paused clients are read again. */
const resumeFactor = 0.75;

export class MemoryBudget {
  private total = 0;
  private readonly counted = new Map<BudgetMember, number>();
  private readonly paused = new Set<BudgetMember>();

  constructor(readonly limit: number) {}

  /** Bytes held by every client together. */
  get held(): number {
    return this.total;
  }

  /** Counts what `member` holds now, and acts on the total: pause it, resume the paused, or drop the biggest. */
  update(member: BudgetMember): void {
    const bytes = member.heldBytes;
    this.total += bytes - (this.counted.get(member) ?? 0);
    this.counted.set(member, bytes);
    if (this.total > this.limit) {
      this.pauseBigHolder(member, bytes);
      if (this.total > this.limit * dropFactor) this.dropBiggest();
    } else this.resumeIfUnder();
  }

  /** Forgets a client that closed (what it held may let the paused ones go on). */
  remove(member: BudgetMember): void {
    this.forget(member);
    this.resumeIfUnder();
  }

  private forget(member: BudgetMember): void {
    this.total -= this.counted.get(member) ?? 0;
    this.counted.delete(member);
    this.paused.delete(member);
  }

  private resumeIfUnder(): void {
    if (this.total >= this.limit * resumeFactor || this.paused.size === 0) return;
    const paused = [...this.paused];
    this.paused.clear();
    for (const waiting of paused) waiting.pauseForBudget(false);
  }

  /**
   * Stops reading from a big holder: `member` if it holds at least the mean
   * (it is one, and growing), else the biggest one still read from (a scan,
   * only while over the budget and the grower is small).
   */
  private pauseBigHolder(member: BudgetMember, bytes: number): void {
    let target: BudgetMember | undefined = bytes > 0 && bytes * this.counted.size >= this.total ? member : undefined;
    if (!target) {
      let most = 0;
      for (const [candidate, held] of this.counted) {
        if (held > most && !this.paused.has(candidate)) [target, most] = [candidate, held];
      }
    }
    if (!target || this.paused.has(target)) return;
    this.paused.add(target);
    target.pauseForBudget(true);
  }

  private dropBiggest(): void {
    const biggest = [...this.counted].sort((a, b) => b[1] - a[1]);
    for (const [member, bytes] of biggest) {
      if (this.total <= this.limit) return;
      member.dropForBudget(this.total, this.limit);
      this.forget(member);
      if (bytes === 0) return;
    }
  }
}
