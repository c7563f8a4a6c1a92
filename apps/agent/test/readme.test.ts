import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderScoreTable } from '../src/compute-score/score-table.js'
import { ENV_ONLY_SETTINGS, flagName, SETTING_NAMES } from '../src/config.js'
import { REPO_ROOT } from './helpers/fixtures.js'

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')

/** The text of a section, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const level = heading.indexOf(' ')
  const start = readme.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`README has no "${heading}" section`)
  const rest = readme.slice(start + heading.length + 2)
  const next = rest.search(new RegExp(`\\n#{1,${level}} `))
  return next === -1 ? rest : rest.slice(0, next)
}

describe('README', () => {
  it('"### Agent" under "## Configuration" lists exactly the ConfigSchema settings, with their flags', () => {
    const configuration = section('## Configuration')
    const agentTable = configuration.slice(configuration.indexOf('\n### Agent\n'))
    const rows = agentTable
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()))
    expect(rows.map((cells) => cells[1]?.replaceAll('`', ''))).toEqual(SETTING_NAMES)
    for (const cells of rows) {
      const name = cells[1]?.replaceAll('`', '') as (typeof SETTING_NAMES)[number]
      expect(cells[2]).toBe(ENV_ONLY_SETTINGS.has(name) ? '' : `\`--${flagName(name)}\``)
    }
  })

  it('"## Compute score" shows the table the code computes', () => {
    const text = section('## Compute score')
    const table = text.slice(
      text.indexOf('<!-- score-table:start -->') + '<!-- score-table:start -->'.length,
      text.indexOf('<!-- score-table:end -->'),
    )
    expect(
      table.trim(),
      'regenerate with `pnpm --filter @llm-fleet/agent exec tsx scripts/print-score-table.ts`',
    ).toBe(renderScoreTable())
  })
})
