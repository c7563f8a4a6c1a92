/** The benchmark's inputs through the real `select`: nobody benchmarks a broken path. */
import { describe, expect, it } from 'vitest'
import { select } from '../src/core/balancer/select.js'
import { BALANCER_MODES } from '../src/core/balancer/strategies.js'
import { createBalancerState } from '../src/core/balancer/strategy.js'
import { BENCH_MODEL, generateFleet } from './select-inputs.js'

describe.each([10, 100, 1_000])('bench fleet of %i nodes', (count) => {
  const fleet = generateFleet(count)

  it('is deterministic for a seed', () => {
    expect(generateFleet(count).nodes).toEqual(fleet.nodes)
  })

  it('spec rotates over exactly the free top-class nodes', () => {
    const state = createBalancerState(() => 0, { mode: 'spec' })
    const seen = new Set<string>()
    for (let i = 0; i < fleet.topFreeIds.size * 2; i++) {
      const selection = select(fleet.nodes, fleet.request, state)
      if (selection.kind !== 'selected') throw new Error('expected a selection')
      expect(selection.reason.kind).toBe('spec-tier')
      seen.add(selection.node.id)
    }
    expect(seen).toEqual(fleet.topFreeIds)
  })

  it('metrics picks the zero-load node', () => {
    const selection = select(
      fleet.nodes,
      fleet.request,
      createBalancerState(() => 0, { mode: 'metrics' }),
    )
    expect(selection).toMatchObject({
      node: { id: fleet.metricsWinnerId },
      reason: { kind: 'metrics-score', score: 0 },
    })
  })

  it('round-robin starts at the first node and only visits eligible nodes serving the model', () => {
    const state = createBalancerState(() => 0, { mode: 'round-robin' })
    for (let i = 0; i < 50; i++) {
      const selection = select(fleet.nodes, fleet.request, state)
      if (selection.kind !== 'selected') throw new Error('expected a selection')
      if (i === 0) expect(selection.node.id).toBe(fleet.firstId)
      expect(selection.node.state).toBe('online')
      expect(selection.node.models.has(BENCH_MODEL)).toBe(true)
      expect(selection.node.coolingDownUntilMs).toBeNull()
    }
  })

  it('every mode selects', () => {
    for (const mode of BALANCER_MODES) {
      expect(
        select(
          fleet.nodes,
          fleet.request,
          createBalancerState(() => 0, { mode }),
        ).kind,
      ).toBe('selected')
    }
  })
})
