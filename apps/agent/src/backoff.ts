/** PURE: how long to wait before the next attempt at an unreachable coordinator. */

/** First retry waits up to this long. */
export const BACKOFF_BASE_MS = 1000
/** No wait exceeds this (the cap): a coordinator back after a restart is found within 30 s. */
export const BACKOFF_CAP_MS = 30_000

export interface BackoffOptions {
  /** In [0, 1); injected so tests are deterministic. */
  random: () => number
  baseMs?: number
  capMs?: number
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform wait in [0, min(cap, base · 2^(failures-1))]. Full jitter spreads a fleet of agents that
 * all lost the same coordinator, so they don't return in one synchronized wave.
 *
 * @param failures consecutive failures so far, 1 for the first.
 * @example backoffDelayMs(3, { random: () => 0.5 }) // 0.5 · min(30000, 1000 · 4) = 2000
 */
export function backoffDelayMs(failures: number, options: BackoffOptions): number {
  const baseMs = options.baseMs ?? BACKOFF_BASE_MS
  const capMs = options.capMs ?? BACKOFF_CAP_MS
  // Clamp the exponent: 2^1024 is Infinity, and anything past the cap is the cap anyway.
  const exponent = Math.min(Math.max(failures, 1) - 1, 30)
  const ceilingMs = Math.min(capMs, baseMs * 2 ** exponent)
  return Math.floor(options.random() * ceilingMs)
}
