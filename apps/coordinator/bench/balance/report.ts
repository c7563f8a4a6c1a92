/**
 * Everything published from bench/results/balance.json: the per-workload SVG charts and the generated
 * blocks of docs/balancing-benchmark.md. Pure functions of the results, so a test can check that the
 * committed charts and tables match the committed JSON.
 */
import { renderP95Chart } from './p95-chart.js'
import type {
  BalanceResults,
  BalanceRow,
  BeforeLearningResults,
  Paired,
  TailMetric,
  Versus,
} from './results.js'
import type { Spread } from './stats.js'

/** The rivals the summary table sets beside the default. */
export const SUMMARY_RIVALS = ['weighted-least-in-flight', 'sglang-cache-aware', 'llm-d'] as const
export const SUMMARY_LOADS = [0.5, 0.85, 0.95] as const
/** Issue 15 judges the default from this load up. */
export const JUDGED_FROM_LOAD = 0.5

export function chartFiles(results: BalanceResults): Record<string, string> {
  const files: Record<string, string> = {}
  for (const workload of results.workloads) {
    const rows = results.rows.filter((row) => row.workload === workload)
    for (const [metric, label, pick] of [
      ['ttft', 'time to first token', (row: BalanceRow) => row.ttftP95Ms.median],
      ['e2e', 'end-to-end latency', (row: BalanceRow) => row.e2eP95Ms.median],
    ] as const) {
      files[`balance-${workload}-${metric}-p95.svg`] = renderP95Chart(
        rows.map((row) => ({ load: row.load, strategy: row.strategy, p95Ms: pick(row) })),
        results.strategies,
        results.default,
        {
          title: `${workload}: p95 ${label} vs load (median of ${results.seeds.length} seeds, log scale)`,
          yLabel: `p95 ${label}`,
        },
      )
    }
  }
  return files
}

function seconds(ms: number): string {
  const s = ms / 1000
  if (s >= 100) return s.toFixed(0)
  if (s >= 10) return s.toFixed(1)
  return s.toFixed(2)
}

export function formatSpread(value: Spread): string {
  return `${seconds(value.median)} [${seconds(value.min)}–${seconds(value.max)}]`
}

/** The row of `strategy` at one workload and load; throws when the results have none. */
export function rowAt(results: BalanceResults, workload: string, load: number, strategy: string): BalanceRow {
  const found = results.rows.find(
    (r) => r.workload === workload && r.load === load && r.strategy === strategy,
  )
  if (found === undefined) throw new Error(`no row ${workload} ${load} ${strategy}`)
  return found
}

/** `rival`'s seed-by-seed comparison with the default at one workload and load. */
function versusDefault(
  results: BalanceResults,
  workload: string,
  load: number,
  rival: string,
): { versus: Versus; seeds: number } {
  const found = rowAt(results, workload, load, rival)
  if (found.versusDefault === undefined) throw new Error(`no seed-by-seed figures for ${rival}`)
  return { versus: found.versusDefault, seeds: found.seeds }
}

const pct = (load: number) => `${Math.round(load * 100)} %`

/** The row with the lowest `pick` (the first of equals). */
function lowest(rows: readonly BalanceRow[], pick: (row: BalanceRow) => number): BalanceRow {
  return rows.reduce((a, b) => (pick(b) < pick(a) ? b : a))
}

/** Default vs the rivals at 50/85/95 %: p95 TTFT and e2e, seconds, median [min–max] over seeds. */
export function summaryTable(results: BalanceResults): string {
  const names = [results.default, ...SUMMARY_RIVALS]
  const lines = [
    `| workload | load | ${names.map((name) => `${name} TTFT p95 / e2e p95 (s)`).join(' | ')} |`,
    `|---|---|${names.map(() => '---').join('|')}|`,
  ]
  for (const workload of results.workloads) {
    for (const load of SUMMARY_LOADS) {
      const cells = names.map((name) => {
        const r = rowAt(results, workload, load, name)
        return `${formatSpread(r.ttftP95Ms)} / ${formatSpread(r.e2eP95Ms)}`
      })
      lines.push(`| ${workload} | ${pct(load)} | ${cells.join(' | ')} |`)
    }
  }
  return lines.join('\n')
}

/** Every strategy at every load for one workload: p95 TTFT and e2e medians, cold loads, hit rate. */
export function workloadTable(results: BalanceResults, workload: string): string {
  const lines = [
    `| strategy | ${results.loads.map((load) => `${pct(load)} TTFT / e2e p95 (s)`).join(' | ')} | cold loads /1k at 85 % | prefix hit at 85 % | req/s at 85 % |`,
    `|---|${results.loads.map(() => '---').join('|')}|---|---|---|`,
  ]
  for (const strategy of results.strategies) {
    const cells = results.loads.map((load) => {
      const r = rowAt(results, workload, load, strategy)
      return `${seconds(r.ttftP95Ms.median)} / ${seconds(r.e2eP95Ms.median)}`
    })
    const at85 = rowAt(results, workload, 0.85, strategy)
    const name = strategy === results.default ? `**${strategy}** (default)` : strategy
    lines.push(
      `| ${name} | ${cells.join(' | ')} | ${at85.coldLoadsPer1k.median} | ${(at85.prefixHitRate.median * 100).toFixed(1)} % | ${at85.throughput.median} of ${at85.arrivalRatePerS.median} |`,
    )
  }
  return lines.join('\n')
}

/** Where the default stands, per workload and load: its rank on p95 TTFT and e2e, and who is best. */
export function verdict(results: BalanceResults): string {
  const lines: string[] = []
  for (const workload of results.workloads) {
    const parts: string[] = []
    for (const load of results.loads) {
      const rows = results.rows.filter((r) => r.workload === workload && r.load === load)
      // A tie with the default counts for the default, as in `standing`.
      const rank = (pick: (r: BalanceRow) => number) => {
        const mine = pick(rowAt(results, workload, load, results.default))
        return { rank: 1 + rows.filter((r) => pick(r) < mine).length, best: lowest(rows, pick) }
      }
      const ttft = rank((r) => r.ttftP95Ms.median)
      const e2e = rank((r) => r.e2eP95Ms.median)
      const describe = (label: string, result: { rank: number; best: BalanceRow }) =>
        result.rank === 1 ? `${label} best` : `${label} #${result.rank} (best ${result.best.strategy})`
      parts.push(`${pct(load)}: ${describe('TTFT', ttft)}, ${describe('e2e', e2e)}`)
    }
    lines.push(`- **${workload}** — ${parts.join('; ')}.`)
  }
  return lines.join('\n')
}

/**
 * The default against each rival seed by seed, loads from 50 %: in how many seeds the default had the
 * lower p95, and the rival's p95 over the default's, median [min–max]. Bold where the default was
 * ahead in every seed (the ratio's minimum above 1).
 */
export function pairedTable(results: BalanceResults): string {
  const lines = [
    `| workload | load | ${SUMMARY_RIVALS.map((name) => `vs ${name}: TTFT / e2e`).join(' | ')} |`,
    `|---|---|${SUMMARY_RIVALS.map(() => '---').join('|')}|`,
  ]
  const cell = (p: Paired, seeds: number) => {
    const text = `${p.defaultAhead}/${seeds} ×${p.ratio.median.toFixed(2)} [${p.ratio.min.toFixed(2)}–${p.ratio.max.toFixed(2)}]`
    // Ahead in every seed (the ratios are rounded, so their minimum can read 1.00 when it is above 1).
    return p.defaultAhead === seeds ? `**${text}**` : text
  }
  for (const workload of results.workloads)
    for (const load of results.loads.filter((value) => value >= JUDGED_FROM_LOAD)) {
      const cells = SUMMARY_RIVALS.map((name) => {
        const { versus, seeds } = versusDefault(results, workload, load, name)
        return `${cell(versus.ttftP95, seeds)} / ${cell(versus.e2eP95, seeds)}`
      })
      lines.push(`| ${workload} | ${pct(load)} | ${cells.join(' | ')} |`)
    }
  return lines.join('\n')
}

/** One figure of issue 15's bar: p95 TTFT or e2e of one workload at one load from 50 %. */
interface BarFigure {
  readonly name: string
  readonly at: readonly [workload: string, load: number]
  readonly metric: TailMetric
  readonly rows: readonly BalanceRow[]
  readonly median: (row: BalanceRow) => number
  /** The other p95 of the same cell, and its name: e2e for a TTFT figure, TTFT for an e2e one. */
  readonly other: readonly [name: string, median: (row: BalanceRow) => number]
  readonly pick: (versus: Versus) => Paired
}

/** The two figures of each cell, TTFT first; each names the other as the cell's other p95. */
const BAR_METRICS = [
  {
    metric: 'ttft',
    label: 'TTFT',
    median: (r: BalanceRow) => r.ttftP95Ms.median,
    pick: (v: Versus) => v.ttftP95,
  },
  {
    metric: 'e2e',
    label: 'e2e',
    median: (r: BalanceRow) => r.e2eP95Ms.median,
    pick: (v: Versus) => v.e2eP95,
  },
] as const

function barFigures(results: BalanceResults): BarFigure[] {
  const figures: BarFigure[] = []
  for (const workload of results.workloads)
    for (const load of results.loads.filter((value) => value >= JUDGED_FROM_LOAD)) {
      const rows = results.rows.filter((r) => r.workload === workload && r.load === load)
      const name = `${workload} ${pct(load)}`
      const at = [workload, load] as const
      for (const metric of BAR_METRICS) {
        const other = BAR_METRICS.find((m) => m !== metric) as (typeof BAR_METRICS)[number]
        figures.push({
          name: `${name} ${metric.label}`,
          at,
          metric: metric.metric,
          rows,
          median: metric.median,
          other: [other.label, other.median],
          pick: metric.pick,
        })
      }
    }
  return figures
}

/** The router with a lower median than the default's on `figure`, the lowest; undefined if none. */
function beatenBy(results: BalanceResults, figure: BarFigure): string | undefined {
  const mine = figure.median(rowAt(results, ...figure.at, results.default))
  const best = lowest(figure.rows, figure.median)
  return figure.median(best) < mine ? best.strategy : undefined
}

/** In how many seeds the default was ahead of `rival` on `figure`, of how many. */
function aheadIn(
  results: BalanceResults,
  figure: BarFigure,
  rival: string,
): { ahead: number; seeds: number } {
  const { versus, seeds } = versusDefault(results, ...figure.at, rival)
  return { ahead: figure.pick(versus).defaultAhead, seeds }
}

/**
 * Issue 15's bar in words: in how many figures the default has the lowest median p95 of every router,
 * and in how many it was ahead of each rival of the summary in every seed; then the figures where not.
 */
export function standing(results: BalanceResults): string {
  const { total, claims } = claimsOf(results)
  return claims
    .map(({ claim, missed }) => {
      const where = missed.length === 0 ? '' : `; not in ${missed.map((m) => m.detail).join(', ')}`
      return `- ${claim}: ${total - missed.length} of ${total} figures${where}.`
    })
    .join('\n')
}

/** One claim of issue 15's bar and the figures where it does not hold (the name, and a detail). */
interface Claim {
  readonly claim: string
  readonly missed: readonly { readonly name: string; readonly detail: string }[]
}

/** The bar's claims, and how many figures each is judged on. */
function claimsOf(results: BalanceResults): { total: number; claims: Claim[] } {
  const figures = barFigures(results)
  const notBest = figures.flatMap((figure) => {
    const winner = beatenBy(results, figure)
    return winner === undefined ? [] : [{ name: figure.name, detail: `${figure.name} (${winner})` }]
  })
  const claims = [{ claim: `Lowest median p95 of all ${results.strategies.length} routers`, missed: notBest }]
  for (const rival of SUMMARY_RIVALS) {
    const missed = figures.flatMap((figure) => {
      const { ahead, seeds } = aheadIn(results, figure, rival)
      return ahead === seeds ? [] : [{ name: figure.name, detail: `${figure.name} ${ahead}/${seeds}` }]
    })
    claims.push({ claim: `Ahead of ${rival} in every seed`, missed })
  }
  return { total: figures.length, claims }
}

/**
 * The results as if the default's replica were the default: its rows in the default's place, and every
 * other router paired seed by seed with it. Null when the replica was not run.
 */
function asReplica(results: BalanceResults): BalanceResults | null {
  const replicaRows = results.replicaRows
  if (replicaRows === undefined) return null
  const rows = results.rows.map((row) => {
    if (row.strategy !== results.default) {
      if (row.versusReplica === undefined) throw new Error(`no replica figures for ${row.strategy}`)
      return { ...row, versusDefault: row.versusReplica }
    }
    const replica = replicaRows.find((r) => r.workload === row.workload && r.load === row.load)
    if (replica === undefined) throw new Error(`no replica row ${row.workload} ${row.load}`)
    return { ...replica, strategy: results.default }
  })
  return { ...results, rows }
}

/**
 * Issue 15's bar for the default's replica, and where the run and the replica both meet it: a claim
 * the replica does not repeat rests on the chance of early picks, not on the balancer.
 */
export function replicaStanding(results: BalanceResults): string {
  const replica = asReplica(results)
  if (replica === null) return '- The replica was not run.'
  const inRun = new Map(
    claimsOf(results).claims.map(({ claim, missed }) => [claim, missed.map((m) => m.name)]),
  )
  const { total, claims } = claimsOf(replica)
  return claims
    .map(({ claim, missed }) => {
      const missedByRun = inRun.get(claim) ?? []
      const missedByReplica = missed.map((m) => m.name)
      const replicaOnly = missedByRun.filter((name) => !missedByReplica.includes(name))
      const runOnly = missedByReplica.filter((name) => !missedByRun.includes(name))
      const both = total - new Set([...missedByRun, ...missedByReplica]).size
      const apart = [
        replicaOnly.length === 0 ? '' : `; the replica alone in ${replicaOnly.join(', ')}`,
        runOnly.length === 0 ? '' : `; the run alone in ${runOnly.join(', ')}`,
      ].join('')
      return `- ${claim}: ${total - missedByReplica.length} of ${total} figures in the replica; in both it and the run, ${both}${apart}.`
    })
    .join('\n')
}

/** A figure where a router has a lower median p95 than the default, and the lowest such router. */
export interface RivalWin {
  readonly name: string
  readonly workload: string
  readonly load: number
  readonly metric: TailMetric
  readonly winner: string
}

export function rivalWinFigures(results: BalanceResults): RivalWin[] {
  return rivalWinsOf(results).map(({ figure, winner }) => ({
    name: figure.name,
    workload: figure.at[0],
    load: figure.at[1],
    metric: figure.metric,
    winner,
  }))
}

function rivalWinsOf(results: BalanceResults): { figure: BarFigure; winner: string }[] {
  return barFigures(results).flatMap((figure) => {
    const winner = beatenBy(results, figure)
    return winner === undefined ? [] : [{ figure, winner }]
  })
}

/**
 * Each figure where a router has a lower median p95 than the default: both medians and in how many
 * seeds the default was lower (the two medians may come from different seeds), then
 * beside them the cell's other p95, the share of requests each sent to the GPU class the default used
 * most, and their cold loads, so the trade behind the loss can be read.
 */
export function rivalWins(results: BalanceResults): string {
  const lines = rivalWinsOf(results).map(({ figure, winner }) => {
    const mine = rowAt(results, ...figure.at, results.default)
    const theirs = rowAt(results, ...figure.at, winner)
    const [otherName, other] = figure.other
    const top = Object.entries(mine.shareByClass).reduce((a, b) => (b[1] > a[1] ? b : a))[0]
    const share = (r: BalanceRow) => `${Math.round((r.shareByClass[top] ?? 0) * 100)} %`
    const both = (pick: (r: BalanceRow) => string) => `${pick(theirs)} against ${pick(mine)}`
    const { ahead, seeds } = aheadIn(results, figure, winner)
    return (
      `- ${figure.name}: ${winner} ${both((r) => `${seconds(figure.median(r))} s`)}; ` +
      `the default lower in ${ahead} of ${seeds} seeds; ` +
      `${otherName} p95 ${both((r) => `${seconds(other(r))} s`)}; ` +
      `requests on ${top} ${both(share)}; cold loads ${both((r) => String(r.coldLoadsPer1k.median))} per 1 000.`
    )
  })
  return lines.length === 0
    ? '- None: the default has the lowest median p95 in every figure.'
    : lines.join('\n')
}

const BEFORE_FIGURES = [
  ['cold loads /1k', (r: BalanceRow) => r.coldLoadsPer1k, (v: Spread) => `${v.median} [${v.min}–${v.max}]`],
  ['TTFT p95 (s)', (r: BalanceRow) => r.ttftP95Ms, formatSpread],
  ['e2e p95 (s)', (r: BalanceRow) => r.e2eP95Ms, formatSpread],
] as const

/**
 * Today's default against the default before it learned, on the same seeds: cold loads per 1 000
 * requests and p95 TTFT / e2e, each median [min–max], bold where today's median is lower; then, per
 * figure, in how many cells it fell and the cells where it did not.
 */
export function beforeLearningTable(results: BalanceResults, before: BeforeLearningResults): string {
  const lines = [
    `| workload | load | ${BEFORE_FIGURES.map(([label]) => `${label}: before → now`).join(' | ')} |`,
    `|---|---|${BEFORE_FIGURES.map(() => '---').join('|')}|`,
  ]
  const notLower = BEFORE_FIGURES.map(() => [] as string[])
  let cellCount = 0
  for (const workload of results.workloads)
    for (const load of results.loads) {
      const was = rowAt(before, workload, load, before.default)
      const now = rowAt(results, workload, load, results.default)
      const cells = BEFORE_FIGURES.map(([, pick, format], index) => {
        const text = `${format(pick(was))} → ${format(pick(now))}`
        if (pick(now).median < pick(was).median) return `**${text}**`
        notLower[index]?.push(`${workload} ${pct(load)}`)
        return text
      })
      cellCount++
      lines.push(`| ${workload} | ${pct(load)} | ${cells.join(' | ')} |`)
    }
  lines.push('')
  BEFORE_FIGURES.forEach(([label], index) => {
    const cells = notLower[index] ?? []
    const rest = cells.length === 0 ? '' : `; not in ${cells.join(', ')}`
    lines.push(`- ${label}: lower now in ${cellCount - cells.length} of ${cellCount} cells${rest}.`)
  })
  return lines.join('\n')
}

/** Generated blocks of the method page, by marker name. */
export function docBlocks(results: BalanceResults, before: BeforeLearningResults): Record<string, string> {
  const blocks: Record<string, string> = {
    'balance-summary': summaryTable(results),
    'balance-verdict': verdict(results),
    'balance-standing': standing(results),
    'balance-replica': replicaStanding(results),
    'balance-rival-wins': rivalWins(results),
    'balance-paired': pairedTable(results),
    'balance-before-learning': beforeLearningTable(results, before),
  }
  for (const workload of results.workloads)
    blocks[`balance-table-${workload}`] = workloadTable(results, workload)
  return blocks
}

/** Replaces each `<!-- name:start -->…<!-- name:end -->` block of `text`; throws on a missing one. */
export function fillBlocks(text: string, blocks: Record<string, string>): string {
  let out = text
  for (const [name, body] of Object.entries(blocks)) {
    const start = `<!-- ${name}:start -->`
    const end = `<!-- ${name}:end -->`
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (from === -1 || to === -1 || to < from) throw new Error(`docs block ${name} is missing`)
    out = `${out.slice(0, from + start.length)}\n${body}\n${out.slice(to)}`
  }
  return out
}
