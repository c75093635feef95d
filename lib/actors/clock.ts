// The clock that call deadlines are measured on: monotonic, so a wall-clock
// step (NTP, a suspended VM) neither postpones nor fires every timeout at once.

import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock. */
export function now(): number {
  return performance.now();
}
