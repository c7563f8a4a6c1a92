/**
 * Drift checks between the metrics the coordinator registers and what the docs promise: the README's
 * Monitoring table lists exactly them, and every metric the example alert rules query exists.
 */
import { readFileSync } from 'node:fs'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { FleetMetrics } from '../src/observability/fleet-metrics.js'

function registeredNames(): string[] {
  const registry = new Registry()
  new FleetMetrics({
    registry,
    nodes: { list: () => [], get: () => undefined, onNodeRemoved: () => () => undefined },
  })
  return registry.getMetricsAsArray().map((metric) => metric.name)
}

describe('monitoring docs', () => {
  it('the README "Monitoring" table lists exactly the registered metrics', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const start = readme.indexOf('\n## Monitoring\n')
    expect(start, 'README has ## Monitoring').toBeGreaterThan(-1)
    const section = readme.slice(start + 1).split(/\n## /)[0] ?? ''
    const documented = [...section.matchAll(/^\|\s*`(llm_fleet_[a-z_]+)`/gm)].map((match) => match[1])
    expect(documented.sort()).toEqual(registeredNames().sort())
  })

  it('the example alert rules query only metrics that exist', () => {
    const rules = readFileSync(new URL('../../../docs/monitoring/alerts.yml', import.meta.url), 'utf8')
    const queried = new Set(
      [...rules.matchAll(/\bllm_fleet_[a-z_]+/g)].map((match) =>
        match[0].replace(/_(bucket|count|sum)$/, ''),
      ),
    )
    expect(queried.size).toBeGreaterThanOrEqual(4)
    const names = new Set(registeredNames())
    for (const name of queried) expect(names, name).toContain(name)
  })
})
