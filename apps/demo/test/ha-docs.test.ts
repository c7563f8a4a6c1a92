/** docs/deploy.md shows exactly the figures in bench/results/ha.json (regenerate with `pnpm bench:ha`). */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type HaResults, renderHaTable, replaceHaTable } from '../src/ha-results-table.js'
import { REPO_ROOT } from '../src/repo-paths.js'

describe('docs/deploy.md HA figures', () => {
  it('match bench/results/ha.json', () => {
    const results = JSON.parse(readFileSync(resolve(REPO_ROOT, 'bench/results/ha.json'), 'utf8')) as HaResults
    const page = readFileSync(resolve(REPO_ROOT, 'docs/deploy.md'), 'utf8')
    expect(page).toBe(replaceHaTable(page, renderHaTable(results)))
  })
})
