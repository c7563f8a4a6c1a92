/** The published charts and docs tables are exactly what bench/results/balance.json generates. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  beforeLearningTable,
  chartFiles,
  docBlocks,
  fillBlocks,
  replicaStanding,
  rivalWinFigures,
  rivalWins,
  rowAt,
  SUMMARY_RIVALS,
  standing,
  verdict,
} from './report.js'
import {
  type BalanceResults,
  type BalanceRow,
  type BeforeLearningResults,
  paired,
  readPublished,
  type TailMetric,
} from './results.js'
import { spread } from './stats.js'
import {
  seedCounts,
  seedCountsTable,
  type TailSummary,
  type TailsResults,
  tailsTable,
} from './tail-breakdown.js'

const ROOT = new URL('../../../../', import.meta.url)
const results = readPublished<BalanceResults>(ROOT, 'balance.json')
const before = readPublished<BeforeLearningResults>(ROOT, 'balance-before-learning.json')

describe('balancing benchmark publication', () => {
  it('has every workload × load × strategy row with ≥ 5 seeds', () => {
    expect(results.rows).toHaveLength(
      results.workloads.length * results.loads.length * results.strategies.length,
    )
    expect(results.rows.every((row) => row.seeds >= 5)).toBe(true)
    expect(results.strategies).toContain(results.default)
  })

  it("has the default's replica on every workload and load, and every rival paired with it", () => {
    expect(results.replicaRows?.map((row) => [row.workload, row.load, row.seeds])).toEqual(
      results.workloads.flatMap((workload) =>
        results.loads.map((load) => [workload, load, results.seeds.length]),
      ),
    )
    for (const row of results.rows) {
      if (row.strategy === results.default) expect(row.versusReplica).toBeUndefined()
      else expect(row.versusReplica?.e2eP95.defaultAhead).toBeLessThanOrEqual(row.seeds)
    }
  })

  it.each(Object.entries(chartFiles(results)))('docs/%s matches the results', (name, svg) => {
    expect(readFileSync(new URL(`docs/${name}`, ROOT), 'utf8')).toBe(svg)
  })

  it('docs/balancing-benchmark.md tables and verdict match the results', () => {
    const page = readFileSync(new URL('docs/balancing-benchmark.md', ROOT), 'utf8')
    expect(fillBlocks(page, docBlocks(results, before))).toBe(page)
  })
})

describe('the tails behind the rival wins (bench/results/balance-tails.json)', () => {
  const tails = JSON.parse(
    readFileSync(new URL('bench/results/balance-tails.json', ROOT), 'utf8'),
  ) as TailsResults

  it('were measured on the published seeds, for exactly the figures a rival wins there', () => {
    expect(tails.seeds).toEqual(results.seeds)
    expect(tails.requestsPerRun).toBe(results.requestsPerRun)
    expect(tails.default).toBe(results.default)
    expect(
      tails.figures.map(({ name, workload, load, metric, rows }) => ({
        name,
        workload,
        load,
        metric,
        routers: rows.map((r) => r.strategy),
      })),
    ).toEqual(
      rivalWinFigures(results).map(({ winner, ...figure }) => ({
        ...figure,
        routers: [results.default, winner],
      })),
    )
  })

  it('are the two tables on docs/balancing-benchmark.md', () => {
    const page = readFileSync(new URL('docs/balancing-benchmark.md', ROOT), 'utf8')
    const blocks = {
      'balance-rival-tails': tailsTable(tails),
      'balance-rival-tails-seeds': seedCountsTable(tails),
    }
    expect(fillBlocks(page, blocks)).toBe(page)
  })

  it('were run on the code and world of balance.json: the re-run figures have its median and range', () => {
    for (const figure of tails.figures)
      for (const tail of figure.rows) {
        const published = rowAt(results, figure.workload, figure.load, tail.strategy)
        const p95 = figure.metric === 'ttft' ? published.ttftP95Ms : published.e2eP95Ms
        expect(spread(tail.perSeed.map((run) => run.p95Ms))).toEqual(p95)
      }
  })

  // The prose under the tables claims these; a run that changes them must change the prose too.
  const counts = (metric: TailMetric) =>
    tails.figures
      .filter((figure) => figure.metric === metric)
      .map((figure) => ({ figure, ...seedCounts(figure) }))
  const [FIRST_TOKEN_SOONER, DECODED_SLOWER, LESS_FOR_A_PLACE, LESS_FOR_THE_MODEL] = [0, 1, 2, 3]

  it('bear out the docs: in the e2e figures, a sooner first token in every seed, and the decode sets the seeds apart', () => {
    const e2e = counts('e2e')
    expect(e2e.length).toBeGreaterThan(0)
    let rivalWon = 0
    let slowerWhereRivalWon = 0
    let defaultWon = 0
    let slowerWhereDefaultWon = 0
    for (const { seeds, rivalLower, holds } of e2e) {
      expect(holds[FIRST_TOKEN_SOONER]).toEqual([seeds, rivalLower])
      const [slower, slowerWon] = holds[DECODED_SLOWER] as [number, number]
      rivalWon += rivalLower
      slowerWhereRivalWon += slowerWon
      defaultWon += seeds - rivalLower
      slowerWhereDefaultWon += slower - slowerWon
    }
    // "In most of the seeds the rival won … decoded more slowly; in most of those the default won, faster."
    expect(slowerWhereRivalWon * 2).toBeGreaterThan(rivalWon)
    expect(slowerWhereDefaultWon * 2).toBeLessThan(defaultWon)
  })

  it('bear out the docs: in the TTFT figures, less waiting for a model, more for a place where the rival won, level within the spread', () => {
    let rivalWon = 0
    let lessForAPlaceWhereRivalWon = 0
    for (const { figure, seeds, rivalLower, holds } of counts('ttft')) {
      expect(holds[LESS_FOR_THE_MODEL]?.[0]).toBe(seeds)
      rivalWon += rivalLower
      lessForAPlaceWhereRivalWon += holds[LESS_FOR_A_PLACE]?.[1] as number
      const [mine, theirs] = figure.rows as [TailSummary, TailSummary]
      // "… nearly all of them ran on the 8-GPU H100 host, while more of the rival's ran on smaller hosts"
      expect(mine.shareByClass.h100 as number).toBeGreaterThanOrEqual(0.9)
      expect(theirs.shareByClass.h100 as number).toBeLessThan(mine.shareByClass.h100 as number)
      // "… where they waited for the model and for the prompts ahead" (medians over the seeds).
      expect(theirs.meanS.load).toBeGreaterThan(mine.meanS.load)
      expect(theirs.meanS.promptsAhead).toBeGreaterThan(mine.meanS.promptsAhead)
      const at = (strategy: string) => rowAt(results, figure.workload, figure.load, strategy)
      const rival = at(theirs.strategy)
      const gap = at(results.default).ttftP95Ms.median - rival.ttftP95Ms.median
      for (const row of [rival, at(results.default)])
        expect(row.ttftP95Ms.max - row.ttftP95Ms.min).toBeGreaterThan(gap)
      expect(rival.versusDefault?.ttftP95.defaultAhead).toBe(seeds - rivalLower)
      expect(rival.versusDefault?.ttftP95.ratio.min).toBeLessThan(1)
      expect(rival.versusDefault?.ttftP95.ratio.max).toBeGreaterThan(1)
    }
    // "… and more for a place in most of the seeds the rival won."
    expect(rivalWon).toBeGreaterThan(0)
    expect(lessForAPlaceWhereRivalWon * 2).toBeLessThan(rivalWon)
  })
})

describe('the default before it learned', () => {
  const withoutPairing = ({ versusDefault: _, versusReplica: __, ...row }: BalanceRow) => row
  const rowsOf = (all: BalanceResults, strategy: string) =>
    all.rows.filter((row) => row.strategy === strategy).map(withoutPairing)

  it('was measured on the world and requests of the published results', () => {
    expect(before.seeds).toEqual(results.seeds)
    expect(before.requestsPerRun).toBe(results.requestsPerRun)
    expect(before.loads).toEqual(results.loads)
    expect(before.workloads).toEqual(results.workloads)
    // A router that did not change gives the same rows only if the worlds and request streams match.
    expect(rowsOf(before, 'weighted-least-in-flight')).toEqual(rowsOf(results, 'weighted-least-in-flight'))
  })

  // The prose under the table claims these; a run that changes them must change the prose too.
  const defaultRows = (all: BalanceResults) => all.rows.filter((row) => row.strategy === all.default)
  const nowAt = (row: BalanceRow) =>
    defaultRows(results).find((now) => now.workload === row.workload && now.load === row.load) as BalanceRow

  it('bears out the docs: rag loads almost nothing under either version', () => {
    for (const all of [before, results])
      for (const row of defaultRows(all).filter((row) => row.workload === 'rag'))
        expect(row.coldLoadsPer1k.median).toBeLessThanOrEqual(1)
  })

  it('bears out the docs: outside rag the earlier version had a lower median p95 only at 30 % load', () => {
    const earlierLower = defaultRows(before).filter((row) => {
      const now = nowAt(row)
      return row.ttftP95Ms.median < now.ttftP95Ms.median || row.e2eP95Ms.median < now.e2eP95Ms.median
    })
    expect(earlierLower.length).toBeGreaterThan(0)
    for (const row of earlierLower.filter((row) => row.workload !== 'rag')) expect(row.load).toBe(0.3)
  })

  it('bolds a cell only where the median fell', () => {
    const one = (strategy: string, cold: number, ttftMs: number): BalanceResults => ({
      ...results,
      workloads: ['chat'],
      loads: [0.5],
      rows: [
        {
          ...(results.rows[0] as BalanceRow),
          workload: 'chat',
          load: 0.5,
          strategy,
          coldLoadsPer1k: { median: cold, min: cold, max: cold },
          ttftP95Ms: { median: ttftMs, min: ttftMs, max: ttftMs },
        },
      ],
    })
    const table = beforeLearningTable(one(results.default, 3, 2000), {
      ...before,
      ...one(before.default, 5, 1000),
    })
    expect(table).toContain('| **5 [5–5] → 3 [3–3]** | 1.00 [1.00–1.00] → 2.00 [2.00–2.00] |')
    expect(table).toContain('- cold loads /1k: lower now in 1 of 1 cells.')
    expect(table).toContain('- TTFT p95 (s): lower now in 0 of 1 cells; not in chat 50 %.')
  })
})

describe('seed-by-seed comparison', () => {
  it('counts the seeds where the default was lower and spreads the rival over the default', () => {
    // Seeds: the default ahead (1 s vs 2 s), a tie (2 vs 2), behind (4 vs 2).
    expect(paired([1, 2, 4], [2, 2, 2])).toEqual({ defaultAhead: 1, ratio: { median: 1, min: 0.5, max: 2 } })
  })

  it('has the comparison on every rival row of the published results, and none on the default', () => {
    for (const row of results.rows) {
      if (row.strategy === results.default) expect(row.versusDefault).toBeUndefined()
      else expect(row.versusDefault?.ttftP95.defaultAhead).toBeLessThanOrEqual(row.seeds)
    }
  })
})

describe("issue 15's bar in words", () => {
  const spreadOf = (ms: number) => ({ median: ms, min: ms, max: ms })
  const versus = (ttftAhead: number, e2eAhead: number) => ({
    ttftP95: { defaultAhead: ttftAhead, ratio: spreadOf(1) },
    e2eP95: { defaultAhead: e2eAhead, ratio: spreadOf(1) },
  })
  /**
   * At 30 % (not judged) and 50 %: the default, the summary's rivals and `random` (a router outside the
   * summary); `ttftMs` per router at 50 %, every router 1 s elsewhere.
   */
  const world = (ttftMs: Record<string, number>, seedsAhead: Record<string, [number, number]>) => {
    // The default last: a tie must not rank it below the routers listed before it.
    const strategies = [...SUMMARY_RIVALS, 'random', results.default]
    const rows = [0.3, 0.5].flatMap((load) =>
      strategies.map((strategy): BalanceRow => {
        const { versusDefault: _, versusReplica: __, ...base } = results.rows[0] as BalanceRow
        const row = {
          ...base,
          workload: 'chat',
          load,
          strategy,
          seeds: 5,
          ttftP95Ms: spreadOf(load === 0.5 ? (ttftMs[strategy] ?? 1000) : 1000),
          e2eP95Ms: spreadOf(1000),
        }
        if (strategy === results.default) return row
        const [ttftAhead, e2eAhead] = load === 0.5 ? (seedsAhead[strategy] ?? [5, 5]) : [0, 0]
        return { ...row, versusDefault: versus(ttftAhead, e2eAhead) }
      }),
    )
    const { replicaRows: _, ...published } = results
    return { ...published, workloads: ['chat'], loads: [0.3, 0.5], strategies, rows }
  }

  it('judges loads from 50 % only, and names each figure a rival wins or the default misses', () => {
    const text = standing(
      world(
        { [results.default]: 2000, 'llm-d': 1500, random: 900 },
        { 'llm-d': [1, 5], 'sglang-cache-aware': [5, 4] },
      ),
    )
    expect(text.split('\n')).toEqual([
      '- Lowest median p95 of all 5 routers: 1 of 2 figures; not in chat 50 % TTFT (random).',
      '- Ahead of weighted-least-in-flight in every seed: 2 of 2 figures.',
      '- Ahead of sglang-cache-aware in every seed: 1 of 2 figures; not in chat 50 % e2e 4/5.',
      '- Ahead of llm-d in every seed: 1 of 2 figures; not in chat 50 % TTFT 1/5.',
    ])
  })

  it('sets each rival win beside the seeds the default won, the other p95, the shares on the default’s main class and the cold loads', () => {
    const base = world({ [results.default]: 2000, random: 900 }, { random: [2, 5] })
    const rows = base.rows.map((r) => {
      const isDefault = r.strategy === results.default
      return {
        ...r,
        e2eP95Ms: { median: isDefault ? 9_000 : 12_500, min: 0, max: 0 },
        shareByClass: isDefault ? { t4: 0.1, h100: 0.9 } : { t4: 0.4, h100: 0.6 },
        coldLoadsPer1k: { median: isDefault ? 1 : 7.5, min: 0, max: 0 },
      }
    })
    expect(rivalWins({ ...base, rows })).toBe(
      '- chat 50 % TTFT: random 0.90 s against 2.00 s; the default lower in 2 of 5 seeds; ' +
        'e2e p95 12.5 s against 9.00 s; ' +
        'requests on h100 60 % against 90 %; cold loads 7.5 against 1 per 1 000.',
    )
    expect(rivalWinFigures({ ...base, rows })).toEqual([
      { name: 'chat 50 % TTFT', workload: 'chat', load: 0.5, metric: 'ttft', winner: 'random' },
    ])
    expect(rivalWins(world({}, {}))).toBe('- None: the default has the lowest median p95 in every figure.')
    expect(rivalWinFigures(world({}, {}))).toEqual([])
  })

  it("states the bar for the default's replica, where both meet it, and where only one does", () => {
    // The run: TTFT 2 s at 50 %, above the rivals' 1 s; llm-d ahead of it in 4 of 5 TTFT seeds. The
    // replica: TTFT 0.9 s, the lowest; llm-d ahead in 4 of 5 e2e seeds, sglang in 2 of 5.
    const run = world({ [results.default]: 2000 }, { 'llm-d': [1, 5] })
    const replica = world({ [results.default]: 900 }, { 'llm-d': [5, 1], 'sglang-cache-aware': [5, 3] })
    const withReplica: BalanceResults = {
      ...run,
      rows: run.rows.map((row) => {
        const twin = rowAt(replica, row.workload, row.load, row.strategy).versusDefault
        return twin === undefined ? row : { ...row, versusReplica: twin }
      }),
      replicaRows: replica.rows.filter((row) => row.strategy === results.default),
    }
    expect(replicaStanding(withReplica).split('\n')).toEqual([
      '- Lowest median p95 of all 5 routers: 2 of 2 figures in the replica; in both it and the run, 1; the replica alone in chat 50 % TTFT.',
      '- Ahead of weighted-least-in-flight in every seed: 2 of 2 figures in the replica; in both it and the run, 2.',
      '- Ahead of sglang-cache-aware in every seed: 1 of 2 figures in the replica; in both it and the run, 1; the run alone in chat 50 % e2e.',
      '- Ahead of llm-d in every seed: 1 of 2 figures in the replica; in both it and the run, 0; the replica alone in chat 50 % TTFT; the run alone in chat 50 % e2e.',
    ])
    expect(replicaStanding(run)).toBe('- The replica was not run.')
  })

  it('counts a tie with the default as the default lowest, in the verdict too', () => {
    expect(verdict(world({}, {}))).toBe('- **chat** — 30 %: TTFT best, e2e best; 50 %: TTFT best, e2e best.')
    expect(standing(world({}, {})).split('\n')[0]).toBe(
      '- Lowest median p95 of all 5 routers: 2 of 2 figures.',
    )
  })
})
