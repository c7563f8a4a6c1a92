import { describe, expect, it } from 'vitest'
import { select } from './select.js'
import { formatReason } from './selection.js'
import {
  describeStrategyContract,
  makeNode,
  makeRequest,
  makeState,
  selectedId,
  spread,
} from './strategy-contract.test-suite.js'

describeStrategyContract('round-robin')

describe('round-robin', () => {
  it('spreads 9 requests 3/3/3 over 3 idle nodes', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c')]
    expect(spread(nodes, makeState('round-robin'), 9)).toEqual({ a: 3, b: 3, c: 3 })
  })

  it('visits nodes in order, ignoring speed and load', () => {
    const nodes = [
      makeNode('slow', { computeScore: 1 }),
      makeNode('fast', { computeScore: 9_000 }),
      makeNode('loaded', { inFlight: 4, cpuPct: 99 }),
    ]
    const state = makeState('round-robin')
    const order = Array.from({ length: 6 }, () => selectedId(select(nodes, makeRequest(), state)))
    expect(order).toEqual(['slow', 'fast', 'loaded', 'slow', 'fast', 'loaded'])
  })

  it('skips a stale node and keeps rotating over the rest', () => {
    const nodes = [makeNode('a'), makeNode('gone', { state: 'stale' }), makeNode('c')]
    expect(spread(nodes, makeState('round-robin'), 6)).toEqual({ a: 3, c: 3 })
  })

  it('says its position in the reason', () => {
    const selection = select([makeNode('a'), makeNode('b')], makeRequest(), makeState('round-robin'))
    if (selection.kind !== 'selected') throw new Error('expected a selection')
    expect(selection.reason).toEqual({ kind: 'round-robin', position: 1, of: 2 })
    expect(formatReason(selection.reason)).toBe('round-robin 1/2')
  })
})
