/**
 * Where a router's slowest requests went and what they waited for: of every run, the measured
 * requests at or above the run's p95 (TTFT or end to end), their GPU class, their time split into
 * the parts a request passes through on a host, and how fast their answers decoded.
 * bench:balance:tails runs it on the figures a rival wins, so the docs can say why.
 */
import type { TailMetric } from './results.js'
import { median, percentile } from './stats.js'
import { GPU_BOARDS } from './world/catalog.js'
import type { HostSpec } from './world/fleet-spec.js'
import type { HostJob } from './world/host.js'

/** The slowest share of each run that counts as its tail: the requests at or above its p95. */
export const TAIL_SHARE = 0.05

/** A request's time on its host, in the order it passes through it (ms or s). */
export interface Parts {
  /** Waiting for a place (a free slot on the GPU the host's dispatcher chose). */
  readonly place: number
  /**
   * Waiting for its model to be ready on that GPU: its own load, a load of another model ahead of it
   * (one at a time per GPU), or an idle model's eviction to make room.
   */
  readonly load: number
  /** Waiting for the prompts ahead of it on that GPU to prefill. */
  readonly promptsAhead: number
  readonly prefill: number
  /** First token to last. */
  readonly decode: number
}

/** One router's tails on one figure: shares over all its runs, the rest a median over runs. */
export interface TailSummary {
  readonly strategy: string
  /** Requests in the tails, all runs together. */
  readonly requests: number
  /** The median over runs of the figure itself, the run's p95 in ms (balance.json's median, unrounded). */
  readonly p95Ms: number
  /** Their share per GPU class, 0–1, all runs together. */
  readonly shareByClass: Readonly<Record<string, number>>
  /** Per part, the median over runs of the mean seconds a run's tail spent in it. */
  readonly meanS: Parts
  /** The median over runs of the tail's mean time to the first token, seconds. */
  readonly firstTokenS: number
  /** The median over runs of the tail's mean answer length, tokens. */
  readonly answerTokens: number
  /** The median over runs of the tail's answer tokens over its decode seconds. */
  readonly decodeTokensPerS: number
  /** Each run's own figures, in seed order. */
  readonly perSeed: readonly RunTail[]
}

interface Finished {
  readonly board: string
  readonly arrivalMs: number
  readonly ttftMs: number
  readonly e2eMs: number
  readonly outputTokens: number
  readonly parts: Parts
}

/** One run's figure and its tail's means. */
export interface RunTail {
  /** The figure itself: the run's p95, ms. */
  readonly p95Ms: number
  /** The mean seconds of the tail in each part. */
  readonly meanS: Parts
  readonly firstTokenS: number
  readonly answerTokens: number
  readonly decodeTokensPerS: number
}

/** Splits a finished request's time on its host into `Parts`, in ms. */
export function partsOf(job: HostJob): Parts {
  return {
    place: job.admittedMs - job.arrivalMs,
    load: job.loadWaitMs,
    promptsAhead: job.prefillStartMs - job.admittedMs - job.loadWaitMs,
    prefill: job.firstTokenMs - job.prefillStartMs,
    decode: job.doneMs - job.firstTokenMs,
  }
}

/** Gathers one router's tails over the runs of a figure: `record` every finished request, `endRun` after each run. */
export class TailCollector {
  readonly #counts: Record<string, number> = {}
  #requests = 0
  readonly #runs: RunTail[] = []
  #run: Finished[] = []

  constructor(
    readonly strategy: string,
    readonly metric: TailMetric,
  ) {}

  record(job: HostJob, host: HostSpec): void {
    this.#run.push({
      board: GPU_BOARDS[host.board].id,
      arrivalMs: job.arrivalMs,
      ttftMs: job.firstTokenMs - job.arrivalMs,
      e2eMs: job.doneMs - job.arrivalMs,
      outputTokens: job.outputTokens,
      parts: partsOf(job),
    })
  }

  /**
   * Keeps the run's measured requests (arrived from `warmupEndMs`) at or above their p95, nearest rank
   * as in the published figures.
   */
  endRun(warmupEndMs: number): void {
    const value = (f: Finished) => (this.metric === 'ttft' ? f.ttftMs : f.e2eMs)
    const measured = this.#run.filter((f) => f.arrivalMs >= warmupEndMs)
    this.#run = []
    if (measured.length === 0) throw new Error(`${this.strategy}: a run with no measured request`)
    const p95 = percentile(Float64Array.from(measured, value).sort(), 1 - TAIL_SHARE)
    const tail = measured.filter((finished) => value(finished) >= p95)
    for (const f of tail) this.#counts[f.board] = (this.#counts[f.board] ?? 0) + 1
    this.#requests += tail.length
    this.#runs.push({ p95Ms: p95, ...runMeans(tail) })
  }

  summary(): TailSummary {
    const shareByClass: Record<string, number> = {}
    for (const [board, count] of Object.entries(this.#counts)) shareByClass[board] = count / this.#requests
    const over = (pick: (run: RunTail) => number) => median(this.#runs.map(pick))
    return {
      strategy: this.strategy,
      requests: this.#requests,
      p95Ms: over((run) => run.p95Ms),
      shareByClass,
      meanS: partsBy((part) => over((run) => run.meanS[part])),
      firstTokenS: over((run) => run.firstTokenS),
      answerTokens: over((run) => run.answerTokens),
      decodeTokensPerS: over((run) => run.decodeTokensPerS),
      perSeed: [...this.#runs],
    }
  }
}

/** `Parts` with each part's value from `value`. */
function partsBy(value: (part: keyof Parts) => number): Parts {
  return {
    place: value('place'),
    load: value('load'),
    promptsAhead: value('promptsAhead'),
    prefill: value('prefill'),
    decode: value('decode'),
  }
}

/** The means of one run's tail (never empty: its slowest request is in it). */
function runMeans(tail: readonly Finished[]): Omit<RunTail, 'p95Ms'> {
  const sum = (pick: (f: Finished) => number) => tail.reduce((total, f) => total + pick(f), 0)
  const meanS = (pick: (f: Finished) => number) => sum(pick) / tail.length / 1000
  return {
    meanS: partsBy((part) => meanS((f) => f.parts[part])),
    firstTokenS: meanS((f) => f.ttftMs),
    answerTokens: sum((f) => f.outputTokens) / tail.length,
    decodeTokensPerS: sum((f) => f.outputTokens) / (sum((f) => f.parts.decode) / 1000),
  }
}

/** bench/results/balance-tails.json. */
export interface TailsResults {
  readonly describes: string
  readonly command: string
  /** The default's strategy name and the published seeds and run length (those of balance.json). */
  readonly default: string
  readonly seeds: readonly number[]
  readonly requestsPerRun: number
  readonly figures: readonly TailsFigure[]
}

export interface TailsFigure {
  readonly name: string
  readonly workload: string
  readonly load: number
  readonly metric: TailMetric
  /** The default's tails, then the rival's that wins the figure. */
  readonly rows: readonly TailSummary[]
}

/** GPU classes holding at least 5 % of the tails (smaller shares left out), most first: "h100 66 %, a100 30 %". */
function classSharesText(shareByClass: Readonly<Record<string, number>>): string {
  return Object.entries(shareByClass)
    .filter(([, share]) => share >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([board, share]) => `${board} ${Math.round(share * 100)} %`)
    .join(', ')
}

function secondsText(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1)
}

/** The docs table: per figure and router, where the tails ran, their seconds per part and their answers. */
export function tailsTable(results: TailsResults): string {
  if (results.figures.length === 0) return 'No figure where a rival has the lower median p95.'
  const lines = [
    '| figure | router | its slowest 5 % ran on | waiting for a place | for the model | for prompts ahead | prefill | first token | decode | answer tokens | tokens/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const figure of results.figures)
    for (const row of figure.rows) {
      const s = row.meanS
      const seconds = [s.place, s.load, s.promptsAhead, s.prefill, row.firstTokenS, s.decode].map(secondsText)
      const answers = [Math.round(row.answerTokens), row.decodeTokensPerS.toFixed(1)]
      lines.push(
        `| ${figure.name} | ${row.strategy} | ${classSharesText(row.shareByClass)} | ${[...seconds, ...answers].join(' | ')} |`,
      )
    }
  return lines.join('\n')
}

/** The seed-by-seed comparisons of the default's tail with the rival's that the docs' "why" rests on. */
const SEED_COMPARISONS: readonly [label: string, holds: (mine: RunTail, theirs: RunTail) => boolean][] = [
  ['first token sooner', (mine, theirs) => mine.firstTokenS < theirs.firstTokenS],
  ['decoded more slowly', (mine, theirs) => mine.decodeTokensPerS < theirs.decodeTokensPerS],
  ['waited less for a place', (mine, theirs) => mine.meanS.place < theirs.meanS.place],
  ['for the model', (mine, theirs) => mine.meanS.load < theirs.meanS.load],
  ['for prompts ahead', (mine, theirs) => mine.meanS.promptsAhead < theirs.meanS.promptsAhead],
]

/** In how many seeds each comparison holds: in all of them, and in those where the rival's p95 was lower. */
export function seedCounts(figure: TailsFigure): {
  rivalLower: number
  seeds: number
  holds: [number, number][]
} {
  const [mine, theirs] = figure.rows as [TailSummary, TailSummary]
  const pairs = mine.perSeed.map((run, i) => [run, theirs.perSeed[i] as RunTail] as const)
  const rivalWon = pairs.filter(([m, t]) => t.p95Ms < m.p95Ms)
  const count = (within: typeof pairs, holds: (m: RunTail, t: RunTail) => boolean) =>
    within.filter(([m, t]) => holds(m, t)).length
  return {
    rivalLower: rivalWon.length,
    seeds: pairs.length,
    holds: SEED_COMPARISONS.map(([, holds]) => [count(pairs, holds), count(rivalWon, holds)]),
  }
}

/** The docs table of `seedCounts`: "a of n (b of r)", b counted in the r seeds the rival won. */
export function seedCountsTable(results: TailsResults): string {
  if (results.figures.length === 0) return 'No figure where a rival has the lower median p95.'
  const lines = [
    `| figure | the rival's p95 lower in | default's tail: ${SEED_COMPARISONS.map(([label]) => label).join(' | ')} |`,
    `|---|---|${SEED_COMPARISONS.map(() => '---').join('|')}|`,
  ]
  for (const figure of results.figures) {
    const { rivalLower, seeds, holds } = seedCounts(figure)
    const cells = holds.map(([all, won]) => `${all} of ${seeds} (${won} of ${rivalLower})`)
    lines.push(`| ${figure.name} | ${rivalLower} of ${seeds} seeds | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
