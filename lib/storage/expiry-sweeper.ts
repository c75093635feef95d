// Active expiry, as Redis does it: ten times a second, sample the keys that
// have a deadline in each table that has some, within a small time budget,
// so memory held by keys that are never read again is given back without a
// timer per key. One sweeper per process; its timer runs only while some
// table has a deadline, and never keeps the process alive.

/** What the sweeper needs of a table. */
export interface Sweepable {
  /** Removes some expired keys within `budgetMs`; returns how many. */
  sweepExpired(budgetMs: number): number;
}

/** How often the sweeper runs, and how long one run may take in all (Redis: 10 Hz, 25 % of the CPU at most). */
export const sweepIntervalMs = 100;
const sweepBudgetMs = 5;

export class ExpirySweeper {
  private readonly tables = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;

  watch(table: Sweepable): void {
    this.tables.add(table);
    this.timer ??= setInterval(() => this.sweep(), sweepIntervalMs).unref();
  }

  unwatch(table: Sweepable): void {
    this.tables.delete(table);
    if (this.tables.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One run: tables in turn until the budget is spent; the ones swept go to the back of the line. */
  sweep(): void {
    const until = performance.now() + sweepBudgetMs;
    for (const table of [...this.tables]) {
      const left = until - performance.now();
      if (left <= 0) return;
      table.sweepExpired(left);
      if (this.tables.delete(table)) this.tables.add(table);
    }
  }
}

/** The process's sweeper. */
export const expirySweeper = new ExpirySweeper();
