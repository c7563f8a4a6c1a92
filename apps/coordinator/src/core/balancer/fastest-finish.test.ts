import { describe, expect, it } from 'vitest'
import type { NodeView } from '../node-view.js'
import { expectedFinish } from './fastest-finish.js'
import { select } from './select.js'
import { formatReason } from './selection.js'
import {
  describeStrategyContract,
  holdSlots,
  makeNode,
  makeRequest,
  makeState,
  selectedId,
  spread,
} from './strategy-contract.test-suite.js'

describeStrategyContract('fastest-finish')

describe('fastest-finish', () => {
  it('sends an idle fleet’s requests to the fastest node, like spec', () => {
    const nodes = [
      makeNode('t4', { computeScore: 36.1 }),
      makeNode('h100', { computeScore: 434 }),
      makeNode('a100', { computeScore: 235.1 }),
    ]
    expect(selectedId(select(nodes, makeRequest(), makeState('fastest-finish')))).toBe('h100')
  })

  it('moves on to the next node once sharing the fast one would finish later', () => {
    // H100 434 points, 32 slots; A100 235.1 points. With k requests on the H100 a new one decodes at
    // 434 / (k+1)^0.3: (7)^0.3 = 1.79 → 1/242 beats the idle A100's 1/235.1; (8)^0.3 = 1.87 → 1/233 does not.
    const nodes = [
      makeNode('h100', { computeScore: 434, maxConcurrency: 32 }),
      makeNode('a100', { computeScore: 235.1, maxConcurrency: 24 }),
    ]
    const picks = holdSlots(nodes, makeState('fastest-finish'), 8)
    expect(picks).toEqual(['h100', 'h100', 'h100', 'h100', 'h100', 'h100', 'h100', 'a100'])
  })

  it('queues on a much faster full node while that still beats a slow idle one, unlike spec', () => {
    // 400 vs 40 points, 2 slots each. Full fast node with q queued (this one included):
    // (2^0.3 + q / 2^0.7) / 400 = (1.23 + 0.62 q) / 400 < 1/40 while q ≤ 14.
    const nodes = [
      makeNode('fast', { computeScore: 400, maxConcurrency: 2, inFlight: 2 }),
      makeNode('slow', { computeScore: 40, maxConcurrency: 2 }),
    ]
    const selection = select(nodes, makeRequest(), makeState('fastest-finish'))
    expect(selection).toMatchObject({
      node: { id: 'fast' },
      reason: { kind: 'fastest-finish', inFlight: 2, max: 2 },
    })
    expect(selectedId(select(nodes, makeRequest(), makeState('spec')))).toBe('slow')

    const longQueue = [{ ...(nodes[0] as NodeView), inFlight: 2 + 14 }, nodes[1] as NodeView]
    expect(selectedId(select(longQueue, makeRequest(), makeState('fastest-finish')))).toBe('slow')
  })

  it('never spreads a saturated fleet evenly: the slow node still gets only what it finishes soonest', () => {
    const nodes = [
      makeNode('fast', { computeScore: 400, maxConcurrency: 4, inFlight: 4 }),
      makeNode('slow', { computeScore: 40, maxConcurrency: 4, inFlight: 4 }),
    ]
    const picks = holdSlots(nodes, makeState('fastest-finish'), 20)
    expect(picks.filter((id) => id === 'slow').length).toBeLessThan(4)
  })

  it('rotates over identical nodes instead of always taking the first', () => {
    const nodes = [
      makeNode('a100-1', { computeScore: 235.1 }),
      makeNode('t4', { computeScore: 36.1 }),
      makeNode('a100-2', { computeScore: 235.1 }),
    ]
    const state = makeState('fastest-finish')
    const order = Array.from({ length: 4 }, () => selectedId(select(nodes, makeRequest(), state)))
    expect(order).toEqual(['a100-1', 'a100-2', 'a100-1', 'a100-2'])
  })

  it('counts the runtime backlog as load', () => {
    const nodes = [
      makeNode('h100', { computeScore: 434, maxConcurrency: 4, runtimeBacklog: 30 }),
      makeNode('a100', { computeScore: 235.1, maxConcurrency: 4 }),
    ]
    expect(selectedId(select(nodes, makeRequest(), makeState('fastest-finish')))).toBe('a100')
  })

  it('ranks nodes over the CPU threshold after cool ones, and uses them when all are hot', () => {
    const hot = makeNode('h100', { computeScore: 434, cpuPct: 95 })
    const cool = makeNode('t4', { computeScore: 36.1 })
    expect(selectedId(select([hot, cool], makeRequest(), makeState('fastest-finish')))).toBe('t4')

    const selection = select([hot, { ...cool, cpuPct: 85 }], makeRequest(), makeState('fastest-finish'))
    expect(selection).toMatchObject({ node: { id: 'h100' }, reason: { allHot: true } })
    const stale = { ...hot, hasFreshMetrics: false }
    expect(selectedId(select([stale, cool], makeRequest(), makeState('fastest-finish')))).toBe('h100')
  })

  it('ignores GPU utilization: it reads near 100 % as soon as one request decodes', () => {
    const nodes = [
      makeNode('h100', { computeScore: 434, gpuUtilPct: 99 }),
      makeNode('a100', { computeScore: 235.1, gpuUtilPct: 0 }),
    ]
    expect(spread(nodes, makeState('fastest-finish'), 3)).toEqual({ h100: 3 })
  })

  it('keeps a CPU-only node (score 0) usable, last', () => {
    const cpu = makeNode('cpu', { computeScore: 0 })
    expect(Number.isFinite(expectedFinish(cpu))).toBe(true)
    expect(selectedId(select([cpu], makeRequest(), makeState('fastest-finish')))).toBe('cpu')
    expect(
      selectedId(
        select(
          [cpu, makeNode('t4', { computeScore: 36.1, inFlight: 3 })],
          makeRequest(),
          makeState('fastest-finish'),
        ),
      ),
    ).toBe('t4')
  })

  it('explains the decision in words', () => {
    const nodes = [
      makeNode('h100', { computeScore: 434, inFlight: 2, runtimeBacklog: 1, maxConcurrency: 32 }),
    ]
    const selection = select(nodes, makeRequest(), makeState('fastest-finish'))
    if (selection.kind !== 'selected') throw new Error('expected a selection')
    expect(selection.reason).toEqual({
      kind: 'fastest-finish',
      score: 434,
      inFlight: 3,
      max: 32,
      allHot: false,
    })
    expect(formatReason(selection.reason)).toBe('fastest expected finish (score 434), 3/32 in flight')
    expect(formatReason({ kind: 'fastest-finish', score: 434, inFlight: 32, max: 32, allHot: true })).toBe(
      'fastest expected finish (score 434), 32/32 in flight, queues, all nodes over the CPU threshold',
    )
  })
})
