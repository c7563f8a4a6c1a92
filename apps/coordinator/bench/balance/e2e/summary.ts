/** The e2e run's figures per run, their median and range over runs, and the published table. */
import { percentile, type Spread, spread } from '../stats.js'
import type { E2eRun } from './harness.js'

export interface RunFigures {
  readonly turns: number
  readonly failed: number
  readonly ttftP50Ms: number
  readonly ttftP95Ms: number
  readonly e2eP50Ms: number
  readonly e2eP95Ms: number
  /** Answers with load_duration > 0 (they waited for a model load), per 1 000 answers. */
  readonly coldLoadsPer1k: number
  /** Prompt tokens the runtimes found in their prefix caches, over all prompt tokens. */
  readonly prefixHitShare: number
  /** Share of the answers each host served. */
  readonly shareByNode: Readonly<Record<string, number>>
}

export interface StrategyRow {
  /** LOAD_BALANCER_MODE, or `default` (the coordinator's default, named in `defaultMode`). */
  readonly strategy: string
  readonly runs: number
  readonly failed: number
  readonly ttftP50Ms: Spread
  readonly ttftP95Ms: Spread
  readonly e2eP50Ms: Spread
  readonly e2eP95Ms: Spread
  readonly coldLoadsPer1k: Spread
  readonly prefixHitShare: Spread
  readonly shareByNode: Readonly<Record<string, number>>
}

export interface E2eResults {
  readonly generatedAt: string
  readonly defaultMode: string
  readonly speedScale: number
  readonly pushIntervalMs: number
  readonly hosts: readonly {
    name: string
    profile: string
    capture: string
    hiddenSpeed: number
    vramGiB: number
  }[]
  readonly models: readonly string[]
  readonly workload: Readonly<Record<string, unknown>>
  /** The machine this ran on: its load inflates every latency here (`os.loadavg()` at start and end). */
  readonly machine: { cpus: number; loadAvgStart: readonly number[]; loadAvgEnd: readonly number[] }
  readonly rows: readonly StrategyRow[]
}

export function figuresOf(run: E2eRun): RunFigures {
  const ok = run.turns.filter((turn) => turn.ok)
  const ttft = ok.map((turn) => turn.ttftMs).sort((a, b) => a - b)
  const e2e = ok.map((turn) => turn.e2eMs).sort((a, b) => a - b)
  const prompt = run.hosts.reduce((sum, host) => sum + host.promptTokens, 0)
  const cached = run.hosts.reduce((sum, host) => sum + host.cachedTokens, 0)
  const shareByNode: Record<string, number> = {}
  for (const turn of ok) shareByNode[turn.node] = (shareByNode[turn.node] ?? 0) + 1 / ok.length
  return {
    turns: run.turns.length,
    failed: run.turns.length - ok.length,
    ttftP50Ms: percentile(ttft, 0.5),
    ttftP95Ms: percentile(ttft, 0.95),
    e2eP50Ms: percentile(e2e, 0.5),
    e2eP95Ms: percentile(e2e, 0.95),
    coldLoadsPer1k: (ok.filter((turn) => turn.loadDurationNs > 0).length / Math.max(1, ok.length)) * 1000,
    prefixHitShare: prompt === 0 ? 0 : cached / prompt,
    shareByNode,
  }
}

export function rowOf(strategy: string, runs: readonly RunFigures[]): StrategyRow {
  const of = (pick: (figures: RunFigures) => number, digits = 0) => spread(runs.map(pick), digits)
  const nodes = new Set(runs.flatMap((figures) => Object.keys(figures.shareByNode)))
  const shareByNode: Record<string, number> = {}
  for (const node of [...nodes].sort()) {
    shareByNode[node] = spread(
      runs.map((figures) => figures.shareByNode[node] ?? 0),
      3,
    ).median
  }
  return {
    strategy,
    runs: runs.length,
    failed: runs.reduce((sum, figures) => sum + figures.failed, 0),
    ttftP50Ms: of((figures) => figures.ttftP50Ms),
    ttftP95Ms: of((figures) => figures.ttftP95Ms),
    e2eP50Ms: of((figures) => figures.e2eP50Ms),
    e2eP95Ms: of((figures) => figures.e2eP95Ms),
    coldLoadsPer1k: of((figures) => figures.coldLoadsPer1k),
    prefixHitShare: of((figures) => figures.prefixHitShare, 3),
    shareByNode,
  }
}

const ms = (value: Spread) => `${value.median} [${value.min}–${value.max}]`
const pct = (value: Spread) =>
  `${Math.round(value.median * 100)} % [${Math.round(value.min * 100)}–${Math.round(value.max * 100)}]`

/** The markdown table of docs/balancing-benchmark.md's "End to end" section. */
export function e2eTable(results: E2eResults): string {
  const runs = Math.min(...results.rows.map((row) => row.runs))
  const load = results.machine.loadAvgStart[0] ?? 0
  const lines = [
    `Median [min–max] over ${runs} runs, ms of wall time on a ${results.machine.cpus}-core machine with load average ${load.toFixed(1)} at the start (latencies are inflated by the other processes; compare strategies, not absolute values). Speed ×${results.speedScale}: a simulated second lasts ${(1000 / results.speedScale).toFixed(0)} ms here.`,
    '',
    '| strategy | TTFT p50 | TTFT p95 | e2e p50 | e2e p95 | cold loads / 1 000 | prefix hit share | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const row of results.rows) {
    const name = row.strategy === 'default' ? `default (${results.defaultMode})` : row.strategy
    lines.push(
      `| ${name} | ${ms(row.ttftP50Ms)} | ${ms(row.ttftP95Ms)} | ${ms(row.e2eP50Ms)} | ${ms(row.e2eP95Ms)} | ${ms(row.coldLoadsPer1k)} | ${pct(row.prefixHitShare)} | ${row.failed} |`,
    )
  }
  return lines.join('\n')
}

export function e2eDocBlocks(results: E2eResults): Record<string, string> {
  return { 'balance-e2e-table': e2eTable(results) }
}
