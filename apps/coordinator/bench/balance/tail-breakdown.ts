/**
 * Where a router's slowest requests went and what they waited for: of every run, the measured
 * requests at or above the run's p95 (TTFT or end to end), their GPU class and their time split into
 * the parts a request passes through on a host. bench:balance:tails runs it on the figures a rival
 * wins, so the docs can say why.
 */
import { percentile } from './stats.js'
import { GPU_BOARDS } from './world/catalog.js'
import type { HostSpec } from './world/fleet-spec.js'
import type { HostJob } from './world/host.js'

export type TailMetric = 'ttft' | 'e2e'

/** A request's time on its host, in the order it passes through it (ms or s). */
export interface Parts {
  /** Waiting for a place (a free slot on the GPU the host's dispatcher chose). */
  readonly place: number
  /** Waiting for the model to load. */
  readonly load: number
  /** Waiting for the prompts ahead of it on that GPU to prefill. */
  readonly promptsAhead: number
  readonly prefill: number
  /** First token to last (end to end only). */
  readonly decode: number
}

/** One router's tails on one figure, summed over its seeds. */
export interface TailSummary {
  readonly strategy: string
  /** Requests in the tails, all seeds together. */
  readonly requests: number
  /** Their share per GPU class, 0–1. */
  readonly shareByClass: Readonly<Record<string, number>>
  /** Per part, the median over seeds of the mean seconds a seed's tail spent in it. */
  readonly meanS: Parts
}

interface Finished {
  readonly board: string
  readonly arrivalMs: number
  readonly ttftMs: number
  readonly e2eMs: number
  readonly parts: Parts
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
  /** Per run: the mean seconds of its tail in each part. */
  readonly #runMeans: Parts[] = []
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
    const p95 = percentile(Float64Array.from(measured, value).sort(), 0.95)
    const tail = measured.filter((finished) => value(finished) >= p95)
    for (const f of tail) this.#counts[f.board] = (this.#counts[f.board] ?? 0) + 1
    this.#requests += tail.length
    const mean = (part: keyof Parts) => tail.reduce((sum, f) => sum + f.parts[part], 0) / tail.length / 1000
    this.#runMeans.push(partsFrom(mean))
    this.#run = []
  }

  summary(): TailSummary {
    const shareByClass: Record<string, number> = {}
    for (const [board, count] of Object.entries(this.#counts)) shareByClass[board] = count / this.#requests
    const median = (part: keyof Parts) => middle(this.#runMeans.map((means) => means[part]))
    return { strategy: this.strategy, requests: this.#requests, shareByClass, meanS: partsFrom(median) }
  }
}

function partsFrom(value: (part: keyof Parts) => number): Parts {
  return {
    place: value('place'),
    load: value('load'),
    promptsAhead: value('promptsAhead'),
    prefill: value('prefill'),
    decode: value('decode'),
  }
}

/** The median (the mean of the middle two for an even count). */
function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const half = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[half] as number)
    : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2
}

/** bench/results/balance-tails.json. */
export interface TailsResults {
  readonly describes: string
  readonly command: string
  /** The default's strategy name and the published seeds and run length (those of balance.json). */
  readonly default: string
  readonly seeds: readonly number[]
  readonly requestsPerRun: number
  readonly figures: readonly {
    readonly name: string
    readonly workload: string
    readonly load: number
    readonly metric: TailMetric
    /** The default's tails, then the rival's that wins the figure. */
    readonly rows: readonly TailSummary[]
  }[]
}

/** GPU classes holding at least 5 % of the tails, most first: "h100 96 %, a100 3 %" style. */
function where(shareByClass: Readonly<Record<string, number>>): string {
  return Object.entries(shareByClass)
    .filter(([, share]) => share >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([board, share]) => `${board} ${Math.round(share * 100)} %`)
    .join(', ')
}

function secondsText(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1)
}

/** The docs table: per figure and router, where the tails ran and the mean seconds of each part. */
export function tailsTable(results: TailsResults): string {
  if (results.figures.length === 0) return 'No figure where a rival has the lower median p95.'
  const lines = [
    '| figure | router | its slowest 5 % ran on | waiting for a place | for a load | for prompts ahead | prefill | decode |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const figure of results.figures)
    for (const row of figure.rows) {
      const s = row.meanS
      const decode = figure.metric === 'ttft' ? '–' : secondsText(s.decode)
      const parts = [s.place, s.load, s.promptsAhead, s.prefill].map(secondsText)
      lines.push(
        `| ${figure.name} | ${row.strategy} | ${where(row.shareByClass)} | ${parts.join(' | ')} | ${decode} |`,
      )
    }
  return lines.join('\n')
}
