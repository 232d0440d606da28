/**
 * The one way this code base waits between attempts. Two shapes exist on purpose: a capped
 * exponential delay for outages (a database or broker that is down: back off until it returns,
 * never faster than `initialMs`, never slower than `maxMs`), and a small random delay for lost
 * races (writers that collided on one stream retry at once, so they are spread a little and more
 * with every loss, or they would collide again).
 */

export interface ExponentialBackoff {
  /** The delay after the first failure. */
  initialMs: number;
  /** No delay exceeds this. */
  maxMs: number;
}

/** `initialMs * 2^(attempt-1)`, capped at `maxMs`; `attempt` counts failures from 1. */
export function exponentialDelay(
  attempt: number,
  { initialMs, maxMs }: ExponentialBackoff,
): number {
  // Capping the exponent keeps a long outage from overflowing to Infinity before the cap applies.
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
}

/** A random delay below `stepMs * attempt`: writers that lost the same race do not meet again. */
export function jitteredDelay(attempt: number, stepMs: number): number {
  return Math.random() * stepMs * attempt;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RetryPolicy {
  /** Attempts in all, the first included; the last failure is thrown. */
  maxAttempts: number;
  /** Whether a failure is worth another attempt; anything else is thrown at once. */
  retryable: (error: unknown) => boolean;
  /** How long to wait after failed attempt `attempt` (from 1). */
  delayMs: (attempt: number) => number;
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error or runs out of attempts. */
export async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  { maxAttempts, retryable, delayMs }: RetryPolicy,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= maxAttempts || !retryable(error)) throw error;
      await sleep(delayMs(n));
    }
  }
}
