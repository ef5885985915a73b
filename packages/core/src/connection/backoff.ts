/** How long to wait before trying again: one doubling backoff for every retry of a connection. */

/** min(maxMs, firstMs × 2^(attempt − 1)): the wait after the `attempt`-th failure (from 1). */
export function doublingDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
}

/**
 * The doubling wait less up to 20 % at random, so that the replicas that lost one broker do not
 * come back to it all at once.
 */
export function reconnectDelayMs(
  attempt: number,
  backoff: { minDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const cap = doublingDelayMs(attempt, backoff.minDelayMs, backoff.maxDelayMs);
  return Math.round(cap * (0.8 + 0.2 * random()));
}
