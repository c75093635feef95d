// How long to wait before the next attempt to reach a peer: exponential
// backoff with jitter, so nodes that lost each other at the same moment do not
// all redial in step.

/** Reconnect timing. */
export interface BackoffOptions {
  /** The first delay, in milliseconds. */
  initialMs: number;
  /** The longest delay, in milliseconds. */
  maxMs: number;
}

/**
 * The delay before attempt `attempt` (0 for the first retry): the capped
 * exponential, scaled by a random factor in [0.5, 1) ("equal jitter").
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = options.initialMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(options.maxMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}
