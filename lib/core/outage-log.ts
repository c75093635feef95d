// When to log a failure that repeats (a peer that stays down, a dialer with
// the wrong secret retrying every two seconds): the first failure at once,
// then at most one summary per interval, each interval twice the last, so a
// long outage costs a handful of lines, not one per retry. Pure but for the
// clock it is given.

/** What to log for a failure. */
export type FailureReport =
  /** The first failure of an outage: log it in full. */
  | { kind: 'first' }
  /** A summary is due: `attempts` failures since `since` (epoch ms). */
  | { kind: 'summary'; attempts: number; since: number };

/** An outage that ended: how many failures it counted, since when (epoch ms). */
export interface Outage {
  attempts: number;
  since: number;
}

/** The first summary comes this long after the first failure; each later one twice as long after the last. */
export const firstSummaryMs = 10_000;
/** The longest interval between two summaries. */
export const maxSummaryMs = 10 * 60_000;

export class OutageLog {
  private since: number | undefined;
  private attempts = 0;
  private intervalMs = firstSummaryMs;
  private nextSummaryAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a failure; what to log for it, or undefined to stay quiet. */
  failed(): FailureReport | undefined {
    const now = this.now();
    this.attempts += 1;
    if (this.since === undefined) {
      this.since = now;
      this.intervalMs = firstSummaryMs;
      this.nextSummaryAt = now + this.intervalMs;
      return { kind: 'first' };
    }
    if (now < this.nextSummaryAt) return undefined;
    this.intervalMs = Math.min(2 * this.intervalMs, maxSummaryMs);
    this.nextSummaryAt = now + this.intervalMs;
    return { kind: 'summary', attempts: this.attempts, since: this.since };
  }

  /** Ends the outage: what it was (to log one line saying it is over), or undefined if there was none. */
  recovered(): Outage | undefined {
    if (this.since === undefined) return undefined;
    const outage = { attempts: this.attempts, since: this.since };
    this.since = undefined;
    this.attempts = 0;
    return outage;
  }
}
