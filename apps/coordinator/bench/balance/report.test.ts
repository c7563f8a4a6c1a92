/** The published charts and docs tables are exactly what bench/results/balance.json generates. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chartFiles, docBlocks, fillBlocks } from './report.js'
import type { BalanceResults } from './results.js'

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
