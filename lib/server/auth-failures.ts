// Wrong passwords, per client address: each answer is delayed a little more
// (10 ms, doubling, at most 1 s) so guessing is slow, and the log gets the
// first failure from an address and then a summary now and then, never a line
// per attempt (core/outage-log.ts).

import type { Logger } from '../core/logger';
import { OutageLog } from '../core/outage-log';

/** Addresses followed at once; past it, the least recent is forgotten. */
const maxAddresses = 256;

export class AuthFailures {
  private readonly byAddress = new Map<string, { failures: number; outage: OutageLog }>();

  constructor(private readonly logger: Logger) {}

  /** Counts a failure from `address`; returns how long to wait before answering it. */
  failed(address: string): number {
    const entry = this.byAddress.get(address) ?? { failures: 0, outage: new OutageLog() };
    this.byAddress.delete(address); // re-inserted last: least recent first
    this.byAddress.set(address, entry);
    if (this.byAddress.size > maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    entry.failures++;
    const report = entry.outage.failed();
    if (report?.kind === 'first') this.logger.warn({ address }, 'client AUTH failed');
    else if (report) this.logger.warn({ address, attempts: report.attempts, since: new Date(report.since).toISOString() }, 'client AUTH still failing');
    return Math.min(1000, 10 * 2 ** Math.min(entry.failures - 1, 7));
  }

  /** A success from `address` clears its count. */
  succeeded(address: string): void {
    this.byAddress.delete(address);
  }
}
