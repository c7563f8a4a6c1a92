/**
 * The benchmark's inputs through the real `select` and the real `NodeRegistry`: nobody benchmarks a
 * broken path. Each check runs on both paths the bench times: `select` over the views, and
 * `decideAndLease` (snapshot, select, acquire + release) over the registry built from them.
 */
import { describe, expect, it } from 'vitest'
import { select } from '../src/core/balancer/select.js'
import type { Selection } from '../src/core/balancer/selection.js'
import { BALANCER_MODES, type BalancerMode } from '../src/core/balancer/strategies.js'
import { createBalancerState } from '../src/core/balancer/strategy.js'
import { BENCH_MODEL, generateFleet, registryFor } from './select-inputs.js'
import { decideAndLease } from './select-path.js'

type Decide = () => Selection

// Building and comparing 10 000 nodes takes seconds on a loaded machine: more than the 5 s default.
describe.each([10, 100, 1_000, 10_000])('bench fleet of %i nodes', { timeout: 30_000 }, (count) => {
  const fleet = generateFleet(count)
  // One registry per fleet, shared by the whole-path checks: every decision gives its lease back, so
  // the registry is the same before and after each (the rebuild test below checks it).
  let shared: ReturnType<typeof registryFor> | undefined
  const registry = () => {
    shared ??= registryFor(fleet)
    return shared
  }

  /** A fresh decider per path, so cursors start from scratch in each. */
  const paths: [string, (mode: BalancerMode) => Decide][] = [
    [
      'select only',
      (mode) => {
        const state = createBalancerState(() => 0, { mode })
        return () => select(fleet.nodes, fleet.request, state)
      },
    ],
    [
      'whole path',
      (mode) => {
        const state = createBalancerState(() => 0, { mode })
        const built = registry()
        return () => decideAndLease(built, fleet.request, state)
      },
    ],
  ]

  it('is deterministic for a seed', () => {
    expect(generateFleet(count).nodes).toEqual(fleet.nodes)
  })

  // Ten nodes are too few to hold each kind; the benchmarked sizes are not.
  it.skipIf(count < 1_000)('has every kind of node the generator promises', () => {
    const states = new Set(fleet.nodes.map((node) => node.state))
    expect(states).toEqual(new Set(['online', 'stale', 'draining']))
    expect(fleet.nodes.some((node) => node.coolingDownUntilMs !== null)).toBe(true)
    expect(fleet.nodes.some((node) => !node.models.has(BENCH_MODEL))).toBe(true)
    expect(fleet.nodes.some((node) => node.inFlight === node.maxConcurrency)).toBe(true)
  })

  it('the real registry built from it hands out exactly its views', () => {
    expect(registry().snapshot()).toEqual(fleet.nodes)
  })

  it('the whole path rebuilds the snapshot for each decision and gives every lease back', () => {
    const built = registry()
    const state = createBalancerState(() => 0, { mode: 'spec' })
    const before = built.snapshot()
    for (let i = 0; i < 5; i++) {
      const previous = built.snapshot()
      expect(decideAndLease(built, fleet.request, state).kind).toBe('selected')
      expect(built.snapshot()).not.toBe(previous)
    }
    expect(built.snapshot()).toEqual(before)
  })

  describe.each(paths)('%s', (_path, decider) => {
    // At 10 000 nodes a full rotation is thousands of decisions: seconds on a loaded machine.
    it.skipIf(count > 1_000)('spec rotates over exactly the free top-class nodes', () => {
      const decide = decider('spec')
      const seen = new Set<string>()
      for (let i = 0; i < fleet.topFreeIds.size * 2; i++) {
        const selection = decide()
        if (selection.kind !== 'selected') throw new Error('expected a selection')
        expect(selection.reason.kind).toBe('spec-tier')
        seen.add(selection.node.id)
      }
      expect(seen).toEqual(fleet.topFreeIds)
    })

    it('metrics picks the zero-load node', () => {
      expect(decider('metrics')()).toMatchObject({
        node: { id: fleet.metricsWinnerId },
        reason: { kind: 'metrics-score', score: 0 },
      })
    })

    it('round-robin starts at the first node and only visits eligible nodes serving the model', () => {
      const decide = decider('round-robin')
      for (let i = 0; i < 50; i++) {
        const selection = decide()
        if (selection.kind !== 'selected') throw new Error('expected a selection')
        if (i === 0) expect(selection.node.id).toBe(fleet.firstId)
        expect(selection.node.state).toBe('online')
        expect(selection.node.models.has(BENCH_MODEL)).toBe(true)
        expect(selection.node.coolingDownUntilMs).toBeNull()
      }
    })

    it('every mode selects', () => {
      for (const mode of BALANCER_MODES) expect(decider(mode)().kind).toBe('selected')
    })
  })
})
