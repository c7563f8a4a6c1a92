/**
 * The example alert rules (docs/monitoring/alerts.yml) through Debian's real `promtool`: they parse
 * (`check rules`) and behave as their unit tests (alerts.test.yml) say, and every rule has a test in
 * which it fires and one in which it stays silent. scripts/setup.sh installs promtool.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { promtool } from './helpers/promtool.js'

const MONITORING = fileURLToPath(new URL('../../../docs/monitoring/', import.meta.url))

const ruleNames = [...readFileSync(`${MONITORING}alerts.yml`, 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map(
  (match) => match[1] as string,
)

describe('docs/monitoring/alerts.yml', () => {
  it('passes promtool check rules', async () => {
    const run = await promtool(['check', 'rules', 'alerts.yml'], { cwd: MONITORING })
    expect(run.output).toContain(`SUCCESS: ${ruleNames.length} rules found`)
    expect(run.code, run.output).toBe(0)
  })

  it('passes its promtool unit tests (alerts.test.yml)', async () => {
    const run = await promtool(['test', 'rules', 'alerts.test.yml'], { cwd: MONITORING })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('SUCCESS')
  })

  it.each(ruleNames)('%s has a unit test where it fires and one where it does not', (name) => {
    const tests = readFileSync(`${MONITORING}alerts.test.yml`, 'utf8')
    const checks = tests
      .split(/(?=- (?:\{ )?eval_time:)/)
      .filter((check) => check.includes(`alertname: ${name}`))
    expect(
      checks.some((check) => check.includes('exp_alerts: []')),
      'a silent case',
    ).toBe(true)
    expect(
      checks.some((check) => check.includes('exp_labels:')),
      'a firing case',
    ).toBe(true)
  })
})
