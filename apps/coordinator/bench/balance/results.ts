/** The shape of bench/results/balance.json, and the aggregation of per-seed figures into its rows. */
import { type SeedFigures, type Spread, spread } from './stats.js'

export interface BalanceRow {
  readonly workload: string
  readonly load: number
  readonly strategy: string
  readonly seeds: number
  readonly ttftP50Ms: Spread
  readonly ttftP95Ms: Spread
  readonly ttftP99Ms: Spread
  readonly e2eP50Ms: Spread
  readonly e2eP95Ms: Spread
  readonly e2eP99Ms: Spread
  /** Completions per second of the measured window (req/s). */
  readonly throughput: Spread
  readonly arrivalRatePerS: Spread
  readonly coldLoadsPer1k: Spread
  /** Cached prompt tokens ÷ prompt tokens, 0–1. */
  readonly prefixHitRate: Spread
  /** Median share of requests per GPU class, 0–1. */
  readonly shareByClass: Readonly<Record<string, number>>
}

export interface BalanceResults {
  /** The strategy name of the coordinator's default mode in `rows` (`llm-fleet:<mode>`). */
  readonly default: string
  /** The default `LOAD_BALANCER_MODE` itself. */
  readonly defaultMode: string
  readonly requestsPerRun: number
  readonly seeds: readonly number[]
  readonly loads: readonly number[]
  readonly workloads: readonly string[]
  readonly strategies: readonly string[]
  /** Median capacity (req/s) per workload over the seeds' worlds. */
  readonly capacityPerS: Readonly<Record<string, Spread>>
  readonly rows: readonly BalanceRow[]
}

export function aggregate(
  workload: string,
  load: number,
  strategy: string,
  perSeed: readonly SeedFigures[],
): BalanceRow {
  const of = (pick: (figures: SeedFigures) => number, digits = 1) => spread(perSeed.map(pick), digits)
  const classes = [...new Set(perSeed.flatMap((figures) => Object.keys(figures.shareByClass)))]
  return {
    workload,
    load,
    strategy,
    seeds: perSeed.length,
    ttftP50Ms: of((f) => f.ttftP50Ms),
    ttftP95Ms: of((f) => f.ttftP95Ms),
    ttftP99Ms: of((f) => f.ttftP99Ms),
    e2eP50Ms: of((f) => f.e2eP50Ms),
    e2eP95Ms: of((f) => f.e2eP95Ms),
    e2eP99Ms: of((f) => f.e2eP99Ms),
    throughput: of((f) => f.throughput, 2),
    arrivalRatePerS: of((f) => f.arrivalRatePerS, 2),
    coldLoadsPer1k: of((f) => f.coldLoadsPer1k, 1),
    prefixHitRate: of((f) => f.prefixHitRate, 3),
    shareByClass: Object.fromEntries(
      classes.map((name) => [
        name,
        spread(
          perSeed.map((f) => f.shareByClass[name] ?? 0),
          3,
        ).median,
      ]),
    ),
  }
}
