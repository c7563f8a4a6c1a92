/** Per-seed figures of one run, and their median and range over seeds. */
import type { RunResult } from './engine.js'

export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface SeedFigures {
  readonly ttftP50Ms: number
  readonly ttftP95Ms: number
  readonly ttftP99Ms: number
  readonly e2eP50Ms: number
  readonly e2eP95Ms: number
  readonly e2eP99Ms: number
  readonly throughput: number
  readonly arrivalRatePerS: number
  readonly coldLoadsPer1k: number
  readonly prefixHitRate: number
  readonly shareByClass: Readonly<Record<string, number>>
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)))
  return sorted[rank - 1] as number
}

export function figuresOf(result: RunResult): SeedFigures {
  return {
    ttftP50Ms: percentile(result.ttftMs, 0.5),
    ttftP95Ms: percentile(result.ttftMs, 0.95),
    ttftP99Ms: percentile(result.ttftMs, 0.99),
    e2eP50Ms: percentile(result.e2eMs, 0.5),
    e2eP95Ms: percentile(result.e2eMs, 0.95),
    e2eP99Ms: percentile(result.e2eMs, 0.99),
    throughput: result.throughput,
    arrivalRatePerS: result.arrivalRatePerS,
    coldLoadsPer1k: result.coldLoadsPer1k,
    prefixHitRate: result.prefixHitRate,
    shareByClass: result.shareByClass,
  }
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Median, min and max, rounded to `digits`. */
export function spread(values: readonly number[], digits = 1): Spread {
  const round = (value: number) => Math.round(value * 10 ** digits) / 10 ** digits
  return {
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  }
}
