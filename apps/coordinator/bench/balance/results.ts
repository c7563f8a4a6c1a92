/** The shape of bench/results/balance.json, and the aggregation of per-seed figures into its rows. */
import { readFileSync } from 'node:fs'
import { type SeedFigures, type Spread, spread } from './stats.js'

/** The two p95 figures of a cell: time to the first token, and end to end. */
export type TailMetric = 'ttft' | 'e2e'

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
  /** Seed by seed against the default (absent on the default's own rows and without it in the run). */
  readonly versusDefault?: Versus
  /** The same against the default's replica (`BalanceResults.replicaRows`), where it was run. */
  readonly versusReplica?: Versus
}

export interface Versus {
  readonly ttftP95: Paired
  readonly e2eP95: Paired
}

/**
 * One strategy against the default on the same seeds (the same world, the same requests): in how
 * many the default had the lower figure, and this strategy's figure over the default's. A `ratio.min`
 * above 1 means the default was ahead in every seed, by more than the spread between seeds.
 */
export interface Paired {
  readonly defaultAhead: number
  readonly ratio: Spread
}

/** `other[i] / mine[i]` per seed (both in seed order). */
export function paired(mine: readonly number[], other: readonly number[]): Paired {
  if (mine.length !== other.length) throw new Error('paired figures need the same seeds')
  return {
    defaultAhead: mine.filter((value, index) => value < (other[index] as number)).length,
    ratio: spread(
      mine.map((value, index) => (other[index] as number) / value),
      2,
    ),
  }
}

/** `row` with its seed-by-seed comparison against the default's figures of the same seeds. */
export function withVersusDefault(
  row: BalanceRow,
  perSeed: readonly SeedFigures[],
  defaultPerSeed: readonly SeedFigures[],
): BalanceRow {
  return { ...row, versusDefault: versus(perSeed, defaultPerSeed) }
}

/**
 * Seed by seed, a router's figures (`perSeed`) against the `baseline`'s of the same seeds (the
 * default's, or its replica's).
 */
export function versus(perSeed: readonly SeedFigures[], baseline: readonly SeedFigures[]): Versus {
  return {
    ttftP95: paired(
      baseline.map((f) => f.ttftP95Ms),
      perSeed.map((f) => f.ttftP95Ms),
    ),
    e2eP95: paired(
      baseline.map((f) => f.e2eP95Ms),
      perSeed.map((f) => f.e2eP95Ms),
    ),
  }
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
  /**
   * The default's replica (compared-routers.ts `DEFAULT_REPLICA`) on the same seeds, one row per
   * workload and load; each other router's row carries `versusReplica`. Absent without the default.
   */
  readonly replicaRows?: readonly BalanceRow[]
}

/**
 * bench/results/balance-before-learning.json: the default as issue 15 found it, measured once at
 * `measuredAtCommit` on the same seeds, beside weighted least in-flight (whose rows must equal the current
 * results', which shows the world has not changed since).
 */
export interface BeforeLearningResults extends BalanceResults {
  readonly describes: string
  readonly measuredAtCommit: string
  readonly command: string
}

/** A published results file, `bench/results/<name>` under the repository's `root`. */
export function readPublished<T extends BalanceResults>(root: URL, name: string): T {
  return JSON.parse(readFileSync(new URL(`bench/results/${name}`, root), 'utf8')) as T
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
