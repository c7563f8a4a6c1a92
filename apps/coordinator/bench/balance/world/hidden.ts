/**
 * The world the balancer does not know: per host, factors drawn from documented ranges that make its
 * true speeds differ from what its datasheet (and so its registration) says, its true batching curve,
 * model load bandwidth, and a thermal/power throttle window. Drawn per seed; nothing here reaches
 * llm-fleet-router.ts or the baselines (a test checks the registrations do not change with them).
 */
import type { HostSpec } from './fleet-spec.js'

export const FACTOR_RANGES = {
  /** True decode speed ÷ datasheet-derived speed. */
  decode: [0.6, 1.4],
  /** True prefill speed ÷ datasheet-derived speed (drawn independently of decode). */
  prefill: [0.6, 1.4],
  /** Batching exponent α: aggregate decode tokens/s = single-stream × n^α. */
  batchingExponent: [0.55, 0.9],
  /** Model load bandwidth, GB/s (disk → VRAM; see the docs for the sources). */
  loadGBs: [1.0, 6.0],
  /** Speed multiplier while throttled. */
  throttleSpeed: [0.35, 0.7],
  /** Throttle window start and length, as shares of the arrival span. */
  throttleStart: [0.1, 0.7],
  throttleLength: [0.1, 0.3],
} as const

/** Share of hosts that throttle once during a run. */
export const THROTTLING_SHARE = 0.35

export interface HiddenFactors {
  readonly decode: number
  readonly prefill: number
  readonly batchingExponent: number
  readonly loadGBs: number
  /** null: this host never throttles. */
  readonly throttle: { readonly start: number; readonly length: number; readonly speed: number } | null
}

function uniform(random: () => number, [low, high]: readonly [number, number]): number {
  return low + (high - low) * random()
}

/** One host's factors; consumes a fixed number of draws so hosts stay independent of each other. */
export function drawFactors(random: () => number): HiddenFactors {
  const decode = uniform(random, FACTOR_RANGES.decode)
  const prefill = uniform(random, FACTOR_RANGES.prefill)
  const batchingExponent = uniform(random, FACTOR_RANGES.batchingExponent)
  const loadGBs = uniform(random, FACTOR_RANGES.loadGBs)
  const throttles = random() < THROTTLING_SHARE
  const start = uniform(random, FACTOR_RANGES.throttleStart)
  const length = uniform(random, FACTOR_RANGES.throttleLength)
  const speed = uniform(random, FACTOR_RANGES.throttleSpeed)
  return { decode, prefill, batchingExponent, loadGBs, throttle: throttles ? { start, length, speed } : null }
}

export function drawWorld(hosts: readonly HostSpec[], random: () => number): HiddenFactors[] {
  return hosts.map(() => drawFactors(random))
}
