/**
 * Drift checks between the metrics the coordinator registers and what the docs promise: the table in
 * docs/monitoring.md lists exactly them, and every metric the example alert rules query exists.
 */
import { readFileSync } from 'node:fs'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { FleetMetrics } from '../src/observability/fleet-metrics.js'

function registeredNames(): string[] {
  const registry = new Registry()
  new FleetMetrics({
    registry,
    nodes: { list: () => [], metricsLabel: () => undefined, onNodeRemoved: () => () => undefined },
  })
  return registry.getMetricsAsArray().map((metric) => metric.name)
}

describe('monitoring docs', () => {
  it('the "Metrics" table of docs/monitoring.md lists exactly the registered metrics', () => {
    const page = readFileSync(new URL('../../../docs/monitoring.md', import.meta.url), 'utf8')
    const start = page.indexOf('\n## Metrics\n')
    expect(start, 'docs/monitoring.md has ## Metrics').toBeGreaterThan(-1)
    const section = page.slice(start + 1).split(/\n## /)[0] ?? ''
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
