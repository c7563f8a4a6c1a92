/** The published charts and docs tables are exactly what bench/results/balance.json generates. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chartFiles, docBlocks, fillBlocks } from './report.js'
import { type BalanceResults, paired } from './results.js'

const ROOT = new URL('../../../../', import.meta.url)
const results = JSON.parse(
  readFileSync(new URL('bench/results/balance.json', ROOT), 'utf8'),
) as BalanceResults

describe('balancing benchmark publication', () => {
  it('has every workload × load × strategy row with ≥ 5 seeds', () => {
    expect(results.rows).toHaveLength(
      results.workloads.length * results.loads.length * results.strategies.length,
    )
    expect(results.rows.every((row) => row.seeds >= 5)).toBe(true)
    expect(results.strategies).toContain(results.default)
  })

  it.each(Object.entries(chartFiles(results)))('docs/%s matches the results', (name, svg) => {
    expect(readFileSync(new URL(`docs/${name}`, ROOT), 'utf8')).toBe(svg)
  })

  it('docs/balancing-benchmark.md tables and verdict match the results', () => {
    const page = readFileSync(new URL('docs/balancing-benchmark.md', ROOT), 'utf8')
    expect(fillBlocks(page, docBlocks(results))).toBe(page)
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
