/** PURE: how long to wait before the next attempt at an unreachable coordinator. */

/** The cadence when the caller gives none (the push loop passes its push interval). */
export const BACKOFF_BASE_MS = 1000
/** No wait exceeds this. It bounds the expensive attempts only: a cheap `GET /healthz` probe runs every tick meanwhile (push-loop.ts). */
export const BACKOFF_CAP_MS = 30_000
/**
 * Failures retried at the plain cadence before backing off. A coordinator restart takes a few seconds;
 * retrying at the push interval meanwhile means every agent is registered again within two intervals
 * of the coordinator coming back, instead of after a backoff that grew while it was starting.
 */
export const STEADY_RETRIES = 3

export interface BackoffOptions {
  /** In [0, 1); injected so tests are deterministic. */
  random: () => number
  /** The cadence: the push interval. No wait is shorter. */
  baseMs?: number
  capMs?: number
}

/**
 * The first `STEADY_RETRIES` failures wait one base interval; after that, exponential backoff with
 * jitter: a uniform wait in [base, min(cap, base · 2^(failures - STEADY_RETRIES))]. The jitter spreads
 * a fleet of agents that all lost the same coordinator, so they don't return in one synchronized wave;
 * the floor keeps an agent from retrying faster than it would push.
 *
 * @param failures consecutive failures so far, 1 for the first.
 * @example backoffDelayMs(5, { random: () => 0.5, baseMs: 2000 }) // 2000 + 0.5 · (8000 - 2000) = 5000
 */
export function backoffDelayMs(failures: number, options: BackoffOptions): number {
  const baseMs = options.baseMs ?? BACKOFF_BASE_MS
  const capMs = Math.max(options.capMs ?? BACKOFF_CAP_MS, baseMs)
  if (failures <= STEADY_RETRIES) return baseMs
  // Clamp the exponent: 2^1024 is Infinity, and anything past the cap is the cap anyway.
  const exponent = Math.min(failures - STEADY_RETRIES, 30)
  const ceilingMs = Math.min(capMs, baseMs * 2 ** exponent)
  return Math.floor(baseMs + options.random() * (ceilingMs - baseMs))
}
