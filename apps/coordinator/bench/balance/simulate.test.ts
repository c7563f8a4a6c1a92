/** Structural invariants of the balancing simulation on a tiny seeded workload (no timing asserted). */
import { describe, expect, it } from 'vitest'
import { COMPARED_STRATEGIES, type ComparedStrategy } from './compared-strategies.js'
import { defaultFleet } from './fleet.js'
import { type SimulationOptions, simulate } from './simulate.js'

function strategyNamed(name: string): ComparedStrategy {
  const strategy = COMPARED_STRATEGIES.find((candidate) => candidate.name === name)
  if (strategy === undefined) throw new Error(`no strategy ${name}`)
  return strategy
}

const BASE: SimulationOptions = {
  hosts: defaultFleet(),
  strategy: strategyNamed('fastest-finish'),
  load: 0.5,
  requests: 600,
  warmupRequests: 60,
  seed: 7,
  pushIntervalMs: 2_000,
}

describe('simulate', () => {
  it.each(COMPARED_STRATEGIES.map((strategy) => [strategy.name, strategy] as const))(
    '%s: every request completes exactly once, with a latency of at least its TTFT',
    (_name, strategy) => {
      const result = simulate({ ...BASE, strategy, load: 0.3 })
      expect(result.completions).toHaveLength(660)
      expect(result.completions.every((count) => count === 1)).toBe(true)
      expect(Math.min(...result.latenciesMs)).toBeGreaterThan(0)
      expect(result.p50Ms).toBeLessThanOrEqual(result.p95Ms)
      expect(result.p95Ms).toBeLessThanOrEqual(result.p99Ms)
      const shares = Object.values(result.shareByClass).reduce((sum, share) => sum + share, 0)
      expect(shares).toBeCloseTo(1, 9)
    },
  )

  it('keeps up with the arrival rate below saturation', () => {
    const result = simulate(BASE)
    expect(result.throughput / result.arrivalRatePerS).toBeGreaterThan(0.85)
    expect(result.throughput / result.arrivalRatePerS).toBeLessThan(1.15)
  })

  it('is deterministic for a seed, and the seed matters', () => {
    const again = simulate(BASE)
    expect(simulate(BASE).latenciesMs).toEqual(again.latenciesMs)
    expect(simulate({ ...BASE, seed: 8 }).latenciesMs).not.toEqual(again.latenciesMs)
  })
})
