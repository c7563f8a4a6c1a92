import { describe, expect, it } from 'vitest'
import { select } from './select.js'
import { formatReason } from './selection.js'
import { forgetTierCursors } from './spec-first.js'
import { createBalancerState } from './strategy.js'
import {
  describeStrategyContract,
  holdSlots,
  makeNode,
  makeRequest,
  makeState,
  selectedId,
  spread,
} from './strategy-contract.test-suite.js'

describeStrategyContract('spec')

describe('forgetTierCursors', () => {
  it('drops the cursors of tiers no node has, keeping the others', () => {
    const pair = (id: string, computeScore: number) => [
      makeNode(`${id}-a`, { computeScore, maxConcurrency: 1 }),
      makeNode(`${id}-b`, { computeScore, maxConcurrency: 1 }),
    ]
    const state = makeState('spec')
    const nodes = [...pair('fast', 900), ...pair('slow', 100)]
    // Fill the fast tier so that both tiers take turns.
    holdSlots(nodes, state, 4, () => '')
    expect([...state.cursors.keys()].filter((key) => key.startsWith('spec:')).sort()).toEqual([
      'spec:100',
      'spec:900',
    ])
    forgetTierCursors(state, nodes.slice(2))
    expect([...state.cursors.keys()].filter((key) => key.startsWith('spec:'))).toEqual(['spec:100'])
  })
})

describe('spec', () => {
  it('prefers the higher-spec node until it is busy, then the next, then round-robin', () => {
    const nodes = [
      makeNode('t4', { computeScore: 100, maxConcurrency: 1 }),
      makeNode('h100', { computeScore: 900, maxConcurrency: 2 }),
      makeNode('a100', { computeScore: 500, maxConcurrency: 1 }),
    ]
    const picks = holdSlots(nodes, makeState('spec'), 7, ({ node, reason }) => `${node.id}:${reason.kind}`)
    expect(picks).toEqual([
      'h100:spec-tier',
      'h100:spec-tier',
      'a100:spill-over',
      't4:spill-over',
      't4:all-busy',
      'h100:all-busy',
      'a100:all-busy',
    ])
  })

  it('explains the decision in words', () => {
    const nodes = [
      makeNode('h100', { computeScore: 812, inFlight: 2, maxConcurrency: 4 }),
      makeNode('a100', { computeScore: 500 }),
    ]
    const first = select(nodes, makeRequest(), makeState('spec'))
    if (first.kind !== 'selected') throw new Error('expected a selection')
    expect(first.reason).toEqual({ kind: 'spec-tier', tier: 1, score: 812, inFlight: 2, max: 4 })
    expect(formatReason(first.reason)).toBe('spec tier 1 (score 812), 2/4 in flight')

    const full = [
      makeNode('h100-a', { computeScore: 900, inFlight: 4 }),
      makeNode('h100-b', { computeScore: 900, inFlight: 4 }),
      makeNode('a100', { computeScore: 500, inFlight: 4 }),
      makeNode('t4', { computeScore: 100, inFlight: 1 }),
    ]
    const spilled = select(full, makeRequest(), makeState('spec'))
    if (spilled.kind !== 'selected') throw new Error('expected a selection')
    expect(spilled.reason).toEqual({
      kind: 'spill-over',
      tier: 3,
      score: 100,
      inFlight: 1,
      max: 4,
      busyAbove: 3,
    })
    expect(formatReason(spilled.reason)).toBe(
      'spill-over to tier 3 (score 100, 1/4 in flight): 3 faster nodes busy',
    )
  })

  it('rotates within a tier of equal scores instead of always taking the first', () => {
    const nodes = [
      makeNode('a100-1', { computeScore: 500 }),
      makeNode('t4', { computeScore: 100 }),
      makeNode('a100-2', { computeScore: 500 }),
      makeNode('a100-3', { computeScore: 500 }),
    ]
    const state = makeState('spec')
    const order = Array.from({ length: 6 }, () => selectedId(select(nodes, makeRequest(), state)))
    expect(order).toEqual(['a100-1', 'a100-2', 'a100-3', 'a100-1', 'a100-2', 'a100-3'])
  })

  it('counts the runtime backlog toward capacity', () => {
    const nodes = [
      makeNode('h100', { computeScore: 900, inFlight: 1, runtimeBacklog: 3, maxConcurrency: 4 }),
      makeNode('a100', { computeScore: 500 }),
    ]
    expect(selectedId(select(nodes, makeRequest(), makeState('spec')))).toBe('a100')
  })

  it.each([
    ['CPU over 80 %', { cpuPct: 80.5 }, 'a100'],
    ['GPU over 90 %', { gpuUtilPct: 91 }, 'a100'],
    ['CPU at exactly 80 %', { cpuPct: 80 }, 'h100'],
    ['GPU at exactly 90 %', { gpuUtilPct: 90 }, 'h100'],
    ['hot metrics that are no longer fresh', { cpuPct: 99, hasFreshMetrics: false }, 'h100'],
  ] as const)('treats a node with %s accordingly', (_what, metrics, expected) => {
    const nodes = [
      makeNode('h100', { computeScore: 900, ...metrics }),
      makeNode('a100', { computeScore: 500 }),
    ]
    expect(selectedId(select(nodes, makeRequest(), makeState('spec')))).toBe(expected)
  })

  it('uses the configured thresholds', () => {
    const nodes = [
      makeNode('h100', { computeScore: 900, cpuPct: 60 }),
      makeNode('a100', { computeScore: 500 }),
    ]
    const strict = createBalancerState(() => 0, { mode: 'spec', busy: { cpuPct: 50, gpuUtilPct: 90 } })
    expect(selectedId(select(nodes, makeRequest(), strict))).toBe('a100')
  })

  it('keeps a node with no metrics yet at its registered score, not busy', () => {
    const nodes = [
      makeNode('new-h100', { computeScore: 900, hasFreshMetrics: false, cpuPct: null, gpuUtilPct: null }),
      makeNode('a100', { computeScore: 500 }),
    ]
    expect(spread(nodes, makeState('spec'), 3)).toEqual({ 'new-h100': 3 })
  })

  it('skips a stale fast node', () => {
    const nodes = [
      makeNode('h100', { computeScore: 900, state: 'stale' }),
      makeNode('a100', { computeScore: 500 }),
    ]
    const selection = select(nodes, makeRequest(), makeState('spec'))
    expect(selection).toMatchObject({ node: nodes[1], reason: { kind: 'spec-tier', tier: 1 } })
  })

  it('filters by model before ranking', () => {
    const nodes = [
      makeNode('h100', { computeScore: 900, models: new Set(['qwen2.5:32b']) }),
      makeNode('a100', { computeScore: 500, models: new Set(['llama3.1:8b', 'qwen2.5:32b']) }),
      makeNode('t4', { computeScore: 100, models: new Set(['llama3.1:8b']) }),
    ]
    const state = makeState('spec')
    expect(selectedId(select(nodes, makeRequest({ model: 'llama3.1:8b' }), state))).toBe('a100')
    expect(selectedId(select(nodes, makeRequest({ model: 'qwen2.5:32b' }), state))).toBe('h100')
    expect(select(nodes, makeRequest({ model: 'mistral:7b' }), state)).toEqual({
      kind: 'none',
      cause: 'model-not-served',
    })
  })
})
