import { describe, expect, it } from 'vitest'
import { FleetKnowledge } from './fleet-knowledge.js'

const NOW = 1_800_000_000_000

describe('FleetKnowledge model names', () => {
  it('learns every spelling Ollama accepts for one model in one table, so clients cannot add tables', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteRouted(0, 'Llama3.1', NOW)
    knowledge.noteRouted(1, 'llama3.1:latest', NOW)
    knowledge.noteRouted(2, 'LLAMA3.1:Latest', NOW)
    expect([...knowledge.models()]).toHaveLength(1)
    const table = knowledge.peek('llama3.1')
    expect(table).toBeDefined()
    expect(knowledge.peek('LLaMA3.1:LATEST')).toBe(table)
    expect(Array.from(table?.routedAtMs.slice(0, 3) ?? [])).toEqual([NOW, NOW, NOW])
  })

  it('matches a push listing `llama3.1:latest` with traffic routed as `llama3.1`', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteRouted(0, 'llama3.1', NOW)
    // The push (taken after the routing) lists the model under Ollama's own name: still resident.
    knowledge.noteLoaded(0, new Set(['llama3.1:latest']), NOW + 1_000)
    const table = knowledge.peek('llama3.1')
    expect(table?.reportedLoaded[0]).toBe(1)
    expect(table?.routedAtMs[0]).toBe(NOW)
    expect([...knowledge.models()]).toHaveLength(1)
  })
})

describe('FleetKnowledge decode rates alone', () => {
  // 256 tokens at 50 tokens/s, 8 requests on the node; the rate alone is 50 × batch^0.3 per lane.
  const seenAtEight = (gpuCount: number, gpuVramBytes: number, model: string) => ({
    slot: 0,
    model,
    gpuScore: 434,
    gpuCount,
    gpuVramBytes,
    concurrency: 8,
    decodeTokens: 256,
    decodeSeconds: 256 / 50,
    prefillTokens: null,
    prefillSeconds: null,
    loadSeconds: null,
    outputTokens: 256,
  })

  it('counts the batch per GPU: 8 in flight on 8 GPUs decoded one each, on 1 GPU eight together', () => {
    const eight = new FleetKnowledge({ halfLifeMs: 30_000 })
    eight.noteModelSizes([{ name: 'llama3.1:8b', sizeBytes: 4.9e9 }])
    eight.observe(seenAtEight(8, 80e9, 'llama3.1:8b'))
    const one = new FleetKnowledge({ halfLifeMs: 30_000 })
    one.noteModelSizes([{ name: 'llama3.1:8b', sizeBytes: 4.9e9 }])
    one.observe(seenAtEight(1, 80e9, 'llama3.1:8b'))
    expect(eight.peek('llama3.1:8b')?.decodeMean[0]).toBeCloseTo(50, 6)
    // 8^0.3 = 1.8661.
    expect(one.peek('llama3.1:8b')?.decodeMean[0]).toBeCloseTo(93.303, 3)
  })

  it('counts a lane per group of GPUs one copy spans: 43 GB on 8 × 24 GB runs in 4 lanes of 2 GPUs', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteModelSizes([{ name: 'llama3.1:70b', sizeBytes: 43e9 }])
    knowledge.observe(seenAtEight(8, 24e9, 'llama3.1:70b'))
    // 43 GB over 21.6 GB usable per card: 2 cards per copy, 4 copies, 2 requests each; 2^0.3 = 1.23114.
    expect(knowledge.peek('llama3.1:70b')?.decodeMean[0]).toBeCloseTo(61.557, 3)
  })
})

describe('FleetKnowledge priors from model size', () => {
  it('prices an unmeasured 43 GB model from its size: 4.9/43 of the 8B rates, 21.5 s to load at 2 GB/s', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteModelSizes([
      { name: 'llama3.1:8b', sizeBytes: 4.9e9 },
      { name: 'llama3.1:70b', sizeBytes: 43e9 },
    ])
    const small = knowledge.peek('llama3.1:8b')
    const large = knowledge.peek('llama3.1:70b')
    // The 8B model is the reference: 1 decode and 30 prefill tokens/s per score point, 2.45 s load.
    expect(small?.decodePerPoint.mean).toBeCloseTo(1, 6)
    expect(small?.prefillPerPoint.mean).toBeCloseTo(30, 6)
    expect(small?.loadSeconds.mean).toBeCloseTo(2.45, 6)
    expect(large?.decodePerPoint.mean).toBeCloseTo(4.9 / 43, 6)
    expect(large?.prefillPerPoint.mean).toBeCloseTo((30 * 4.9) / 43, 6)
    expect(large?.loadSeconds.mean).toBeCloseTo(21.5, 6)
  })

  it('leaves what was measured alone, and ignores a size of 0 (a runtime that does not say)', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.observe({
      slot: 0,
      model: 'llama3.1:70b',
      gpuScore: 100,
      gpuCount: 1,
      gpuVramBytes: 0,
      concurrency: 1,
      decodeTokens: 100,
      decodeSeconds: 10,
      prefillTokens: null,
      prefillSeconds: null,
      loadSeconds: 30,
      outputTokens: 100,
    })
    knowledge.noteModelSizes([
      { name: 'llama3.1:70b', sizeBytes: 43e9 },
      { name: 'unsized', sizeBytes: 0 },
    ])
    const table = knowledge.peek('llama3.1:70b')
    // 10 tokens/s over 100 points: 0.1 per point, as measured; the 30 s load stands too.
    expect(table?.decodePerPoint.mean).toBeCloseTo(0.1, 6)
    expect(table?.loadSeconds.mean).toBeCloseTo(30, 6)
    // Prefill had no sample: it follows the size.
    expect(table?.prefillPerPoint.mean).toBeCloseTo((30 * 4.9) / 43, 6)
    expect(knowledge.peek('unsized')).toBeUndefined()
  })
})

describe('FleetKnowledge prompts awaiting their first byte', () => {
  it('sums per node, never goes below 0, and forgets a node that leaves', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.addAwaiting(3, 1_000)
    knowledge.addAwaiting(3, 500)
    knowledge.addAwaiting(40, 7)
    expect(knowledge.awaitingTokens[3]).toBe(1_500)
    expect(knowledge.awaitingTokens[40]).toBe(7)
    knowledge.addAwaiting(3, -2_000)
    expect(knowledge.awaitingTokens[3]).toBe(0)
    knowledge.forgetSlot(40)
    expect(knowledge.awaitingTokens[40]).toBe(0)
  })
})
