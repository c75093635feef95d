// Active expiry, as Redis does it: ten times a second, sample the keys that
// have a deadline in each table that has some, within a small time budget,
// so memory held by keys that are never read again is given back without a
// timer per key. While a run finds more expired keys than its budget lets it
// remove, the next run comes sooner, up to a quarter of the CPU (Redis's
// ceiling for its expire cycle), with pauses of at most the budget. One
// sweeper per process; its timer runs only while some table has a deadline,
// and never keeps the process alive.

/** What the sweeper needs of a table. */
export interface Sweepable {
  /** Removes some expired keys within `budgetMs`; returns whether it stopped for the budget, with expired keys left. */
  sweepExpired(budgetMs: number): boolean;
}

/** How often the sweeper runs when there is little to do (Redis: 10 Hz). */
export const sweepIntervalMs = 100;
/** The longest one run may take: the longest pause it adds. */
const sweepBudgetMs = 5;
/** The gap between runs while expired keys pile up: budget / (budget + gap) = a quarter of the CPU. */
const busyGapMs = 3 * sweepBudgetMs;

export class ExpirySweeper {
  private readonly tables = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;

  /** Tables it watches now. */
  get watching(): number {
    return this.tables.size;
  }

  watch(table: Sweepable): void {
    this.tables.add(table);
    if (!this.timer) this.schedule(sweepIntervalMs);
  }

  unwatch(table: Sweepable): void {
    this.tables.delete(table);
    if (this.tables.size > 0 || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One run: tables in turn until the budget is spent; the ones swept go to the back of the line. Returns whether it ran out of budget. */
  sweep(): boolean {
    const until = performance.now() + sweepBudgetMs;
    for (const table of [...this.tables]) {
      const left = until - performance.now();
      if (left <= 0) return true;
      const busy = table.sweepExpired(left);
      if (this.tables.delete(table)) this.tables.add(table);
      if (busy) return true;
    }
    return false;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const busy = this.sweep();
      if (this.tables.size > 0) this.schedule(busy ? busyGapMs : sweepIntervalMs);
    }, ms).unref();
  }
}

/** The process's sweeper. */
export const expirySweeper = new ExpirySweeper();
