/** The published "End to end" table is exactly what bench/results/balance-e2e.json generates. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fillBlocks } from '../report.js'
import { type E2eResults, e2eDocBlocks } from './summary.js'

const ROOT = new URL('../../../../../', import.meta.url)
const results = JSON.parse(
  readFileSync(new URL('bench/results/balance-e2e.json', ROOT), 'utf8'),
) as E2eResults

describe('e2e balancing publication', () => {
  it('compares the default, round-robin and spec over ≥ 3 runs, and records the machine load', () => {
    const names = results.rows.map((row) => row.strategy)
    for (const strategy of ['default', 'round-robin', 'spec']) expect(names).toContain(strategy)
    expect(results.rows.every((row) => row.runs >= 3)).toBe(true)
    expect(results.machine.loadAvgStart).toHaveLength(3)
    expect(results.machine.cpus).toBeGreaterThan(0)
  })

  it('docs/balancing-benchmark.md "End to end" table matches the results', () => {
    const page = readFileSync(new URL('docs/balancing-benchmark.md', ROOT), 'utf8')
    expect(fillBlocks(page, e2eDocBlocks(results))).toBe(page)
  })
})
