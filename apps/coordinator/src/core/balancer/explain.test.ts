import { describe, expect, it } from 'vitest'
import { explain, formatLossReason } from './explain.js'
import { makeNode, makeRequest, makeState, NOW } from './strategy-contract.test-suite.js'

const MODEL = 'llama3.1:8b'

function lossesByName(result: ReturnType<typeof explain>): Record<string, string | null> {
  return Object.fromEntries(
    result.candidates.map((candidate) => [
      candidate.name,
      candidate.lostBecause === null ? null : formatLossReason(candidate.lostBecause),
    ]),
  )
}

describe('explain', () => {
  it('says why each node lost, in select filter order, and lists the winner first', () => {
    const nodes = [
      makeNode('stale', { state: 'stale', computeScore: 999 }),
      makeNode('vllm', { runtimeKind: 'openai', computeScore: 900 }),
      makeNode('other-model', { models: new Set(['qwen2.5:7b']), computeScore: 800 }),
      makeNode('cooling', { coolingDownUntilMs: NOW + 1_000, computeScore: 700 }),
      makeNode('full', { computeScore: 600, inFlight: 4, maxConcurrency: 4 }),
      makeNode('low', { computeScore: 100 }),
      makeNode('winner', { computeScore: 500 }),
    ]

    const result = explain(nodes, makeRequest({ model: MODEL, apiKind: 'ollama' }), makeState('spec'))

    expect(result.selection).toMatchObject({ kind: 'selected', node: { id: 'winner' } })
    expect(result.candidates[0]).toMatchObject({ id: 'winner', isSelected: true, lostBecause: null })
    expect(lossesByName(result)).toEqual({
      winner: null,
      stale: 'not online (stale)',
      vllm: 'its openai runtime does not speak this API',
      'other-model': 'does not serve the model',
      cooling: 'cooling down after repeated upstream failures',
      full: 'busy: 4/4 in flight',
      low: 'lower tier (score 100 < 500)',
    })
  })

  it('leaves the round-robin cursors where they were', () => {
    const state = makeState('round-robin')
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c')]

    const first = explain(nodes, makeRequest(), state)
    const second = explain(nodes, makeRequest(), state)

    expect(second.selection).toEqual(first.selection)
    expect(state.cursors.size).toBe(0)
    expect(lossesByName(first)).toMatchObject({ b: 'an equal node has the round-robin turn' })
  })

  it('shows the prompts each candidate has not started, which the queue term waits for', () => {
    const busy = makeNode('busy', { computeScore: 800 })
    const idle = makeNode('idle', { computeScore: 800 })
    const state = makeState('fastest-finish')
    state.knowledge.addAwaiting(busy.slot, 4_000)
    const { selection, candidates } = explain([busy, idle], makeRequest(), state)
    expect(selection).toMatchObject({ node: { id: 'idle' } })
    const estimateOf = (id: string) => candidates.find((candidate) => candidate.id === id)?.estimate
    expect(estimateOf('busy')).toMatchObject({ awaitingTokens: 4_000 })
    expect(estimateOf('idle')).toMatchObject({ awaitingTokens: 0, queueS: 0 })
    // 8 × 4 000 tokens / (800 points × 30 tokens/s a point) = 1.333 s of queue on `busy`.
    expect(estimateOf('busy')?.queueS).toBeCloseTo(1.333, 3)
  })

  it('explains fastest-finish and metrics losses', () => {
    const nodes = [makeNode('fast', { computeScore: 800 }), makeNode('slow', { computeScore: 100 })]
    const finish = explain(nodes, makeRequest(), makeState('fastest-finish'))
    expect(finish.selection).toMatchObject({ node: { id: 'fast' } })
    // Neither reports the model loaded: a 5 s cold load counted 5 times each, plus 256 tokens at 800
    // and 100 tok/s.
    expect(lossesByName(finish).slow).toBe("slower expected finish (27.56 s vs the winner's 25.32 s)")
    const slow = finish.candidates.find((candidate) => candidate.id === 'slow')
    expect(slow?.estimate).toMatchObject({
      coldS: 25,
      decodeS: 2.56,
      queueS: 0,
      prefillS: 0,
      decodeSamples: 0,
    })

    const loaded = [makeNode('calm', { cpuPct: 10 }), makeNode('loaded', { cpuPct: 60 })]
    const metrics = explain(loaded, makeRequest(), makeState('metrics'))
    expect(metrics.selection).toMatchObject({ node: { id: 'calm' } })
    expect(lossesByName(metrics).loaded).toBe('higher load score (90 > 40)')
  })

  it('gives every node its reason when none can serve', () => {
    const result = explain(
      [makeNode('a', { state: 'draining' })],
      makeRequest({ model: MODEL }),
      makeState('spec'),
    )
    expect(result.selection).toEqual({ kind: 'none', cause: 'none-online' })
    expect(lossesByName(result)).toEqual({ a: 'not online (draining)' })
  })
})

describe('explain busy reasons', () => {
  it('names the metric that made a node busy', () => {
    const nodes = [makeNode('hot', { computeScore: 900, cpuPct: 95, gpuUtilPct: 50 }), makeNode('cool')]
    const result = explain(nodes, makeRequest(), makeState('spec'))
    expect(lossesByName(result).hot).toBe('busy: 0/4 in flight, CPU 95%')
  })
})
