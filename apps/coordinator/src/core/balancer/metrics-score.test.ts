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

describeStrategyContract('metrics')

describe('metrics', () => {
  // 10 + 20 + 10 + 20 + 0 * 10 = 60
  const light = makeNode('light', { cpuPct: 10, memoryPct: 20, gpuUtilPct: 10, gpuMemoryPct: 20 })
  // 50 + 40 + 30 + 30 + 2 * 10 = 170
  const heavy = makeNode('heavy', {
    cpuPct: 50,
    memoryPct: 40,
    gpuUtilPct: 30,
    gpuMemoryPct: 30,
    inFlight: 2,
  })

  it('picks the low-load node: score 60 against 170', () => {
    const selection = select([heavy, light], makeRequest(), makeState('metrics'))
    expect(selection).toEqual({ kind: 'selected', node: light, reason: { kind: 'metrics-score', score: 60 } })
    if (selection.kind === 'selected') expect(formatReason(selection.reason)).toBe('lowest load score 60')
  })

  it('counts the runtime backlog as active requests and null GPU fields as 0', () => {
    // 10 + 10 + 0 + 0 + (1 + 3) * 10 = 60 against 10 + 10 + 10 + 10 + 0 = 40 → still the GPU node wins.
    const cpuOnly = makeNode('cpu-only', {
      gpuUtilPct: null,
      gpuMemoryPct: null,
      inFlight: 1,
      runtimeBacklog: 3,
    })
    const gpu = makeNode('gpu')
    expect(select([cpuOnly, gpu], makeRequest(), makeState('metrics'))).toMatchObject({
      node: gpu,
      reason: { kind: 'metrics-score', score: 40 },
    })
    // Without the backlog the CPU-only node scores 10 + 10 + 0 + 0 + 10 = 30 and wins.
    const quiet = makeNode('cpu-only', { gpuUtilPct: null, gpuMemoryPct: null, inFlight: 1 })
    expect(select([quiet, gpu], makeRequest(), makeState('metrics'))).toMatchObject({
      node: quiet,
      reason: { kind: 'metrics-score', score: 30 },
    })
  })

  it('ranks nodes without fresh metrics last', () => {
    const unknown = makeNode('no-metrics', {
      hasFreshMetrics: false,
      cpuPct: null,
      memoryPct: null,
      gpuUtilPct: null,
      gpuMemoryPct: null,
    })
    const busy = makeNode('busy', {
      cpuPct: 70,
      memoryPct: 90,
      gpuUtilPct: 80,
      gpuMemoryPct: 90,
      inFlight: 3,
    })
    const state = makeState('metrics')
    for (let i = 0; i < 5; i++) expect(selectedId(select([unknown, busy], makeRequest(), state))).toBe('busy')
  })

  it('round-robins over every candidate when no node has metrics yet', () => {
    const nodes = ['a', 'b', 'c'].map((id) => makeNode(id, { hasFreshMetrics: false }))
    expect(spread(nodes, makeState('metrics'), 6)).toEqual({ a: 2, b: 2, c: 2 })
  })

  it('falls back to round-robin when every node with metrics is over 80 % CPU', () => {
    const nodes = [
      makeNode('hot-1', { cpuPct: 81 }),
      makeNode('hot-2', { cpuPct: 95, memoryPct: 0 }),
      makeNode('hot-3', { cpuPct: 99.5 }),
      makeNode('unknown', { hasFreshMetrics: false }),
    ]
    const state = makeState('metrics')
    const first = select(nodes, makeRequest(), state)
    expect(first).toMatchObject({ node: nodes[0], reason: { kind: 'metrics-all-hot', position: 1, of: 4 } })
    expect(spread(nodes, state, 7)).toEqual({ 'hot-1': 1, 'hot-2': 2, 'hot-3': 2, unknown: 2 })
  })

  it('does not fall back while one node is at or under 80 % CPU', () => {
    // hot: 95 + 10 + 10 + 10 = 125; at-80: 80 + 0 + 10 + 10 = 100.
    const nodes = [makeNode('hot', { cpuPct: 95 }), makeNode('at-80', { cpuPct: 80, memoryPct: 0 })]
    const state = makeState('metrics')
    expect(select(nodes, makeRequest(), state)).toMatchObject({
      node: nodes[1],
      reason: { kind: 'metrics-score', score: 100 },
    })
    expect(spread(nodes, state, 3)).toEqual({ 'at-80': 3 })
  })

  it('rotates over nodes with equal scores', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c'), heavy]
    expect(spread(nodes, makeState('metrics'), 9)).toEqual({ a: 3, b: 3, c: 3 })
  })
})
