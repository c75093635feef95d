// The clock that call deadlines are measured on: monotonic, so a wall-clock
// step (NTP, a suspended VM) neither postpones nor fires every timeout at once.
// The global `performance`, so that tests with fake timers control it too.

/** Milliseconds on a monotonic clock. */
export function now(): number {
  return performance.now();
}

/**
 * Milliseconds since the epoch: what key expiry deadlines are, since they are
 * stored and compared across restarts and nodes, where a monotonic clock means nothing.
 */
export function wallNow(): number {
  return Date.now();
}
