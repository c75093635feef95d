// Restart intensity, which OTP supervisors have (MaxR restarts in MaxT seconds)
// and nact lacks: a pure decision over the times of a bucket's recent crashes.

/** Restart intensity, as OTP's MaxR/MaxT: more crashes than this in the window stop the bucket. */
export interface SupervisionOptions {
  /**
   * Restarts allowed within `withinMs` before the bucket is stopped as failed.
   * @default 3
   */
  maxRestarts: number;
  /**
   * The sliding window for `maxRestarts`, in milliseconds.
   * @default 5000
   */
  withinMs: number;
}

export type RestartDecision = 'restart' | 'give-up';

/**
 * Records a crash at `now` and decides whether the bucket may restart.
 * `recentCrashes` holds the times of earlier crashes still inside the window;
 * the returned list replaces it. The bucket may restart while the crashes in
 * the window, this one included, number at most `maxRestarts`.
 */
export function decideRestart(
  recentCrashes: readonly number[],
  now: number,
  limits: SupervisionOptions,
): { decision: RestartDecision; recentCrashes: number[] } {
  const windowStart = now - limits.withinMs;
  const inWindow = [...recentCrashes.filter((time) => time > windowStart), now];
  const decision = inWindow.length > limits.maxRestarts ? 'give-up' : 'restart';
  return { decision, recentCrashes: inWindow };
}
