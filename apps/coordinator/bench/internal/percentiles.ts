/** Latency percentiles for the bench tables: nearest rank, as `bench/balance/stats.ts` defines it. */

/** Nearest-rank percentile (`fraction` in 0–1) of an ascending array; NaN when it is empty. */
export function percentile(sortedAscending: ArrayLike<number>, fraction: number): number {
  if (sortedAscending.length === 0) return Number.NaN
  const rank = Math.min(sortedAscending.length, Math.max(1, Math.ceil(fraction * sortedAscending.length)))
  return sortedAscending[rank - 1] as number
}

export interface LatencySummary {
  readonly count: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** p50, p99 and max of unsorted latencies (sorts a copy; NaN percentiles when there are none). */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort()
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  }
}
