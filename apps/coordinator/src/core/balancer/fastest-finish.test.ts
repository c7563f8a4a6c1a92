/**
 * The default balancer on literal scenarios. Every expected number below is worked out by hand in the
 * comment beside it from the documented priors (1 decode token/s and 30 prefill tokens/s per GPU score
 * point, 5 s cold load counted 5 times (LOAD_COST), 256-token answers, α = 0.7: 4^0.3 = 1.5157,
 * 4^0.7 = 2.6390), never by calling
 * the estimate under test.
 */
import { describe, expect, it } from 'vitest'
import type { CompletionSample } from '../learning/fleet-knowledge.js'
import { prefixBlockHashes } from '../learning/prefix-index.js'
import type { NodeView } from '../node-view.js'
import { explain } from './explain.js'
import { select } from './select.js'
import { formatReason, type Selection } from './selection.js'
import type { BalancerState, SelectRequest } from './strategy.js'
import {
  describeStrategyContract,
  emptySample,
  holdSlots,
  makeNode,
  makeRequest,
  makeState,
  NOW,
  selectedId,
  spread,
} from './strategy-contract.test-suite.js'

describeStrategyContract('fastest-finish')

const MODEL = 'llama3.1:8b'

function finishReason(selection: Selection) {
  if (selection.kind !== 'selected' || selection.reason.kind !== 'fastest-finish') {
    throw new Error('expected a fastest-finish selection')
  }
  return selection.reason
}

/** A chat body of exactly `bytes` bytes whose first bytes are shared by every body with the same `seed`. */
function body(bytes: number, seed = 'conversation-1'): Buffer {
  const text = `{"model":"${MODEL}","messages":[{"role":"user","content":"${seed}`
  return Buffer.from(text.padEnd(bytes, 'x'))
}

function withPrompt(prompt: Buffer, overrides: Partial<SelectRequest> = {}): SelectRequest {
  return makeRequest({
    model: MODEL,
    probe: { promptTokens: prompt.length / 4, prefixHashes: prefixBlockHashes(prompt) },
    ...overrides,
  })
}

function markLoaded(state: BalancerState, node: NodeView): void {
  state.knowledge.noteLoaded(node.slot, new Set([MODEL]), NOW)
}

/**
 * An answer that says only how long it waited for a place with `started` requests on the node (the
 * runtime reported no rates): what the learned capacity and its cap come from.
 */
function waitSample(
  slot: number,
  model: string,
  gpuScore: number,
  started: number,
  queuedSeconds: number,
): CompletionSample {
  return {
    ...emptySample(slot, model, gpuScore),
    concurrency: started,
    queuedSeconds,
    startConcurrency: started,
  }
}

describe('fastest-finish: residency', () => {
  it('counts a load under way after routing a model to an Ollama node, none on an OpenAI-style one', () => {
    // Both were just sent the model for the first time. Ollama loads it (the 5 s prior, all still to
    // come); vLLM and llama.cpp serve what they were started with, so nothing loads there.
    const vllm = makeNode('vllm', { computeScore: 100, runtimeKind: 'openai' })
    const ollama = makeNode('ollama', { computeScore: 100 })
    const state = makeState('fastest-finish')
    state.knowledge.noteRouted(vllm.slot, MODEL, NOW)
    state.knowledge.noteRouted(ollama.slot, MODEL, NOW)
    const coldOf = (node: NodeView) =>
      explain([node], makeRequest({ model: MODEL }), state).candidates[0]?.estimate?.coldS
    expect(coldOf(vllm)).toBe(0)
    expect(coldOf(ollama)).toBeCloseTo(5, 6)
  })

  it('sends an 8B request to a warm RTX 3090 rather than a cold H100', () => {
    // 3090 warm: 256 / 100.7 = 2.54 s. H100 cold: 5 × 5 s load + 256 / 434 = 25.59 s.
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7 })
    const h100 = makeNode('h100', { computeScore: 434 })
    const state = makeState('fastest-finish')
    markLoaded(state, rtx3090)
    const selection = select([h100, rtx3090], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('rtx3090')
    expect(formatReason(finishReason(selection))).toBe('warm, 0/4 in flight: est 2.5 s (h100 cold: 26 s)')
  })

  it('once the H100 has loaded the model (a push lists it), it wins: 0.59 s against 2.54 s', () => {
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7 })
    const h100 = makeNode('h100', { computeScore: 434 })
    const state = makeState('fastest-finish')
    markLoaded(state, rtx3090)
    markLoaded(state, h100)
    expect(selectedId(select([h100, rtx3090], makeRequest({ model: MODEL }), state))).toBe('h100')
  })

  it('treats a model it just routed to a node as resident there until a later push says otherwise', () => {
    const a = makeNode('a', { computeScore: 100 })
    const b = makeNode('b', { computeScore: 100 })
    const state = makeState('fastest-finish')
    state.knowledge.noteRouted(b.slot, MODEL, NOW - 1_000)
    expect(selectedId(select([a, b], makeRequest({ model: MODEL }), state))).toBe('b')
    // A push sampled after the routing lists nothing loaded: Ollama unloaded it.
    state.knowledge.noteLoaded(b.slot, new Set(), NOW - 500)
    const order = Array.from({ length: 2 }, () =>
      selectedId(select([a, b], makeRequest({ model: MODEL }), state)),
    )
    expect(order).toEqual(['a', 'b'])
  })

  it('counts the rest of a load it started by routing a cold model, not the model as resident', () => {
    // `loading` was sent the model 1 s ago, cold: 5 s load − 1 s = 4 s left + 2.56 s = 6.56 s.
    // warm, 3 in flight of 4: 2.56 s × 1.5157 = 3.88 s. (Counted resident at once, `loading` would
    // read 2.56 s and draw every request sent during the load onto a node that cannot start them.)
    const loading = makeNode('loading', { computeScore: 100 })
    const warm = makeNode('warm', { computeScore: 100, inFlight: 3 })
    const state = makeState('fastest-finish')
    markLoaded(state, warm)
    state.knowledge.noteRouted(loading.slot, MODEL, NOW - 1_000)
    const selection = select([loading, warm], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('warm')
    expect(finishReason(selection).runnerUp).toMatchObject({ name: 'loading', isResident: true })
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(6.56, 2)
  })

  it('does not evict a hot model for a rare one when another node has room', () => {
    // Neither serves `rare` warm. full (VRAM 90 % used): 5 × 2 × 5 s + 256/100 = 52.56 s;
    // roomy (VRAM 10 %): 5 × 5 s + 2.56 s = 27.56 s.
    const full = makeNode('full', { computeScore: 100, gpuMemoryPct: 90, models: new Set([MODEL, 'rare']) })
    const roomy = makeNode('roomy', { computeScore: 100, gpuMemoryPct: 10, models: new Set([MODEL, 'rare']) })
    const selection = select([full, roomy], makeRequest({ model: 'rare' }), makeState('fastest-finish'))
    expect(selectedId(selection)).toBe('roomy')
    expect(finishReason(selection).estimateS).toBeCloseTo(27.56, 2)
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(52.56, 2)
  })

  it('prefers queueing briefly where the model is loaded over a cold load on an idle node', () => {
    // warm, 3 in flight of 4: 2.56 s × 1.5157 = 3.88 s; idle but cold: 5 × 5 + 2.56 = 27.56 s.
    const warm = makeNode('warm', { computeScore: 100, inFlight: 3 })
    const cold = makeNode('cold', { computeScore: 100 })
    const state = makeState('fastest-finish')
    markLoaded(state, warm)
    const selection = select([cold, warm], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('warm')
    expect(finishReason(selection).estimateS).toBeCloseTo(3.88, 2)
  })
})

describe('fastest-finish: prefix-cache affinity', () => {
  // Two equal warm vLLM-style nodes (OpenAI runtimes serve what they started with), 200 points each.
  const first = body(8_192)
  const nextTurn = Buffer.concat([first, Buffer.alloc(1_024, 'y')])

  it('sends the next turn of a conversation back to the node that computed its prefix', () => {
    // Next turn: 9 216 bytes = 2 304 tokens; 32 blocks of 256 bytes (2 048 tokens) cached on `b`.
    // a: 2 304 / 6 000 + 256 / 200 = 0.384 + 1.28 = 1.664 s; b: 256 / 6 000 + 1.28 = 1.323 s.
    const a = makeNode('a', { computeScore: 200, runtimeKind: 'openai' })
    const b = makeNode('b', { computeScore: 200, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.prefixIndex.record(prefixBlockHashes(first), b.slot, NOW - 60_000)
    const selection = select([a, b], withPrompt(nextTurn), state)
    expect(selectedId(selection)).toBe('b')
    const reason = finishReason(selection)
    expect(reason.cachedTokens).toBe(2_048)
    expect(reason.estimateS).toBeCloseTo(1.323, 3)
    expect(formatReason(reason)).toBe(
      'warm, ~2.0k prompt tokens cached, 0/4 in flight: est 1.3 s (a uncached: 1.7 s)',
    )
  })

  it('goes elsewhere when the cached node is too busy to win', () => {
    // b at 3 in flight of 4: (0.0427 + 1.28) × 1.5157 = 2.005 s > a's 1.664 s.
    const a = makeNode('a', { computeScore: 200, runtimeKind: 'openai' })
    const b = makeNode('b', { computeScore: 200, runtimeKind: 'openai', inFlight: 3 })
    const state = makeState('fastest-finish')
    state.prefixIndex.record(prefixBlockHashes(first), b.slot, NOW - 60_000)
    expect(selectedId(select([a, b], withPrompt(nextTurn), state))).toBe('a')
  })

  it('gives no credit for a prefix computed longer ago than the cache TTL (10 min by default)', () => {
    const a = makeNode('a', { computeScore: 200, runtimeKind: 'openai' })
    const b = makeNode('b', { computeScore: 200, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.prefixIndex.record(prefixBlockHashes(first), b.slot, NOW - 11 * 60_000)
    const selection = select([a, b], withPrompt(nextTurn), state)
    expect(finishReason(selection).cachedTokens).toBe(0)
  })
})

describe('fastest-finish: speed apart from capacity', () => {
  /** An 8 × H100 host behind one OpenAI-style endpoint: 3 472 points, 434 a GPU, 4 slots registered. */
  const h100x8 = (inFlight: number) =>
    makeNode('8xh100', { computeScore: 3_472, gpuScore: 434, inFlight, runtimeKind: 'openai' })

  it('counts an 8×H100 host as one H100 per request: at 12 in flight of 4 slots an idle 3090 wins', () => {
    // Per request the host is one H100 (3 472 / 8 = 434). 12 in flight + this one on 4 slots: batch 4,
    // 9 queued. 256 / 434 = 0.590 s alone; queue 9 × 0.590 / 2.6390 = 2.012 s; decode 0.590 × 1.5157
    // = 0.894 s; total 2.906 s. The idle 3090: 256 / 100.7 = 2.542 s.
    const host = h100x8(12)
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7, runtimeKind: 'openai' })
    const selection = select([host, rtx3090], makeRequest({ model: MODEL }), makeState('fastest-finish'))
    expect(selectedId(selection)).toBe('rtx3090')
    expect(finishReason(selection).estimateS).toBeCloseTo(2.542, 3)
  })

  it('keeps the 8×H100 host while its queue is short: at 8 in flight it finishes in 2.01 s', () => {
    // 5 queued: 5 × 0.590 / 2.6390 = 1.118 s + 0.894 s = 2.012 s < 2.542 s.
    const host = h100x8(8)
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7, runtimeKind: 'openai' })
    const selection = select([host, rtx3090], makeRequest({ model: MODEL }), makeState('fastest-finish'))
    expect(selectedId(selection)).toBe('8xh100')
    expect(finishReason(selection).estimateS).toBeCloseTo(2.012, 3)
  })

  it('learns that a host runs more at once than its MAX_CONCURRENCY says, and stops counting a queue', () => {
    // Registered with the agent's default 4 slots, 14 in flight. Seen running 16 at once without
    // queueing, so 17 slots are assumed (probing one above): batch 15, 15^0.3 = 2.2533, 0.590 × 2.2533 = 1.329 s, ahead of the 3090's 2.542 s.
    // Believing the 4 slots it would be 11 queued: 11 × 0.590 / 2.639 + 0.894 = 3.353 s.
    const host = h100x8(14)
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    expect(selectedId(select([host, rtx3090], makeRequest({ model: MODEL }), state))).toBe('rtx3090')
    state.knowledge.observe(waitSample(host.slot, 'other-model', 434, 16, 0))
    const selection = select([host, rtx3090], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('8xh100')
    expect(finishReason(selection)).toMatchObject({ max: 17, inFlight: 14 })
    expect(finishReason(selection).estimateS).toBeCloseTo(1.329, 3)
  })

  it('loses the long prompt on a busy host to an idle 3090 once prefill counts', () => {
    // 8 192-token prompt, host at 14 in flight of 4 slots: prefill alone 8 192 / 13 020 = 0.629 s (a
    // runtime prefills one prompt at a time: no batch slowdown), decode 0.590 × 4^0.3 = 0.894 s; a place
    // turns over every 0.629 + 0.894 = 1.523 s, so 11 queued wait 11 × 1.523 / 4 = 4.189 s; total
    // 5.712 s. 3090: 8 192 / 3 021 + 2.542 = 5.254 s. (At 12 in flight the host's 4.951 s would win.)
    const host = h100x8(14)
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7, runtimeKind: 'openai' })
    const request = makeRequest({
      model: MODEL,
      probe: { promptTokens: 8_192, prefixHashes: new Int32Array(0) },
    })
    const selection = select([host, rtx3090], request, makeState('fastest-finish'))
    expect(selectedId(selection)).toBe('rtx3090')
    expect(finishReason(selection).estimateS).toBeCloseTo(5.254, 3)
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(5.712, 3)
  })

  it('queues prompts per GPU: the same unstarted prompts delay a 1-GPU node 8 times as long as an 8-GPU one', () => {
    // 3 255 prompt tokens sent to each node and not started (no first byte yet), weighted 8
    // (BALANCER_WAITING_WEIGHT's default). Prefill 434 × 30 = 13 020 tokens/s per GPU: the 1-GPU node
    // waits 8 × 3 255 / 13 020 = 2.000 s, the 8-GPU node 0.250 s; both then decode 256 / 434 = 0.590 s.
    const one = makeNode('h100x1', { computeScore: 434, gpuScore: 434, runtimeKind: 'openai' })
    const eight = makeNode('h100x8', {
      computeScore: 3_472,
      gpuScore: 434,
      gpuCount: 8,
      runtimeKind: 'openai',
    })
    const state = makeState('fastest-finish')
    state.knowledge.addAwaiting(one.slot, 3_255)
    state.knowledge.addAwaiting(eight.slot, 3_255)
    const selection = select([one, eight], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('h100x8')
    expect(finishReason(selection).estimateS).toBeCloseTo(0.25 + 0.59, 2)
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(2 + 0.59, 2)
    expect(finishReason(selection).decidedBy).toBe('queue')
  })

  it('counts a model larger than one GPU once per group of GPUs it spans, not once per GPU', () => {
    // Two 24 GiB RTX 3090s (100.7 points each) with 3 021 prompt tokens sent and not started, weighted 8.
    // llama3.1:8b (4.9 GB) fits one GPU: two lanes, 8 × 3 021 / 2 / (100.7 × 30 = 3 021 tokens/s) = 4 s.
    // A 43 GB 70B is over 0.9 × 25.77 GB, so each copy spans both GPUs: one lane, at 4.9 / 43 of the
    // 8B's prefill rate (344.26 tokens/s): 8 × 3 021 / 344.26 = 70.20 s.
    const big = 'llama3.1:70b'
    const gpuHost = (id: string, gpuCount: number, gpuVramBytes: number) =>
      makeNode(id, {
        computeScore: 100.7 * gpuCount,
        gpuScore: 100.7,
        gpuCount,
        gpuVramBytes,
        runtimeKind: 'openai',
        models: new Set([MODEL, big, 'unsized:1b']),
      })
    const host = gpuHost('rtx3090x2', 2, 24 * 1024 ** 3)
    const state = makeState('fastest-finish')
    state.knowledge.noteModelSizes([
      { name: MODEL, sizeBytes: 4.9e9 },
      { name: big, sizeBytes: 43e9 },
    ])
    state.knowledge.addAwaiting(host.slot, 3_021)
    const termsFor = (model: string) => explain([host], makeRequest({ model }), state).candidates[0]?.estimate
    expect(termsFor(MODEL)?.lanes).toBe(2)
    expect(termsFor(MODEL)?.queueS).toBeCloseTo(4, 3)
    expect(termsFor(big)?.lanes).toBe(1)
    expect(termsFor(big)?.queueS).toBeCloseTo(70.2, 2)
    // A model no node gave a size for: one copy per GPU.
    expect(termsFor('unsized:1b')?.lanes).toBe(2)
    // Four such GPUs hold two copies of the 70B; eight 16 GiB ones (15.46 GB usable) need three GPUs a
    // copy, so two copies and two GPUs left over.
    const lanesOn = (node: NodeView) =>
      explain([node], makeRequest({ model: big }), state).candidates[0]?.estimate?.lanes
    expect(lanesOn(gpuHost('rtx3090x4', 4, 24 * 1024 ** 3))).toBe(2)
    expect(lanesOn(gpuHost('x8-16gb', 8, 16 * 1024 ** 3))).toBe(2)
  })

  it('counts the prompts other coordinators sent and the node has not started, as its own', () => {
    // Two 1-GPU H100 nodes; through the shared store, peers sent `busy` 3 255 prompt tokens that it has
    // not started: 8 × 3 255 / 13 020 = 2.000 s before this request's prefill, then 0.590 s of decode.
    const busy = makeNode('busy', { computeScore: 434, runtimeKind: 'openai', othersAwaitingTokens: 3_255 })
    const idle = makeNode('idle', { computeScore: 434, runtimeKind: 'openai' })
    const selection = select([busy, idle], makeRequest({ model: MODEL }), makeState('fastest-finish'))
    expect(selectedId(selection)).toBe('idle')
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(2 + 0.59, 2)
  })
})

describe('fastest-finish: capacity below MAX_CONCURRENCY', () => {
  it('caps a node where a request last waited, whatever MAX_CONCURRENCY says', () => {
    // host: 200 points a GPU, MAX_CONCURRENCY 16, 12 in flight; small: 80 points, idle.
    // Believing 16: batch 13, 13^0.3 = 2.1586, 256 / 200 × 2.1586 = 2.763 s < small's 256 / 80 = 3.2 s.
    // A request sent at 9 on it waited 2 s, so it runs 8 at once: batch 8, 8^0.3 = 1.8661 → 2.389 s
    // decode, plus 5 queued × 1.28 s / 8^0.7 (4.2871) = 1.493 s: 3.882 s, and small wins.
    const host = makeNode('host', {
      gpuScore: 200,
      computeScore: 400,
      maxConcurrency: 16,
      inFlight: 12,
      runtimeKind: 'openai',
    })
    const small = makeNode('small', { computeScore: 80, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    expect(selectedId(select([host, small], makeRequest({ model: MODEL }), state))).toBe('host')
    state.knowledge.observe(waitSample(host.slot, MODEL, 200, 9, 2))
    const selection = select([host, small], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('small')
    expect(finishReason(selection).runnerUp?.estimateS).toBeCloseTo(3.88, 2)
    // An answer that did not wait at 12 lifts the cap past where the host is now.
    state.knowledge.observe(waitSample(host.slot, MODEL, 200, 12, 0))
    expect(selectedId(select([host, small], makeRequest({ model: MODEL }), state))).toBe('host')
  })
})

describe('fastest-finish: several coordinators with the shared store down', () => {
  it("counts a learned capacity at this coordinator's share, as MAX_CONCURRENCY is", () => {
    // Registered 8 places, seen running 16 at once without a wait (every coordinator's requests), so
    // 17 are assumed (probing one above). Two coordinators lost the store: each gets 8 / 2 = 4 by
    // MAX_CONCURRENCY and ⌊17 / 2⌋ = 8 by what was learned.
    const whole = makeNode('whole', { computeScore: 434, maxConcurrency: 8, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.knowledge.observe(waitSample(whole.slot, 'other-model', 434, 16, 0))
    expect(finishReason(select([whole], makeRequest({ model: MODEL }), state)).max).toBe(17)
    const halved = { ...whole, maxConcurrency: 4, capacityShare: 0.5 }
    expect(finishReason(select([halved], makeRequest({ model: MODEL }), state)).max).toBe(8)
    // A learned cap (a request waited at 12) is halved too: 11 / 2 → 5.
    state.knowledge.observe(waitSample(whole.slot, 'other-model', 434, 12, 2))
    expect(finishReason(select([halved], makeRequest({ model: MODEL }), state)).max).toBe(5)
  })
})

describe('fastest-finish: learned speed', () => {
  // A response of 256 tokens decoded alone at `tokensPerS` on a node of `gpuScore` points.
  const sample = (slot: number, tokensPerS: number, gpuScore: number) => ({
    slot,
    model: MODEL,
    gpuScore,
    gpuCount: 1,
    gpuVramBytes: 0,
    concurrency: 1,
    decodeTokens: 256,
    decodeSeconds: 256 / tokensPerS,
    prefillTokens: null,
    prefillSeconds: null,
    loadSeconds: null,
    outputTokens: 256,
  })

  it('moves traffic off a node that turned slower after a single slow response', () => {
    // a and b measured 10 times at 200 tok/s (their datasheet): fleet ratio 1.0 per point. One
    // response at 50 tok/s on a: a's mean 200 + (50 − 200)/11 = 186.4; ratio 1 + (0.25 − 1)/21 =
    // 0.964; a = (200 × 0.964 + 10 × 186.4)/11 = 187.0 tok/s (1.369 s), b = (192.9 + 2 000)/11 =
    // 199.4 tok/s (1.284 s).
    const a = makeNode('a', { computeScore: 200, runtimeKind: 'openai' })
    const b = makeNode('b', { computeScore: 200, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    for (let i = 0; i < 10; i++) {
      state.knowledge.observe(sample(a.slot, 200, 200))
      state.knowledge.observe(sample(b.slot, 200, 200))
    }
    const before = Array.from({ length: 2 }, () =>
      selectedId(select([a, b], makeRequest({ model: MODEL }), state)),
    )
    expect(before).toEqual(['a', 'b'])
    state.knowledge.observe(sample(a.slot, 50, 200))
    const selection = select([a, b], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('b')
    expect(finishReason(selection).estimateS).toBeCloseTo(1.284, 3)
  })

  it('gives a node that measures faster than its datasheet the traffic of a faster card', () => {
    // 3090 measured 8 times at 600 tok/s: ratio 600 / 100.7 = 5.958 per point, so the unmeasured
    // H100's prior is 434 × 5.958 = 2 586 tok/s and it wins. Then the H100 measures 434 tok/s ten
    // times: ratio (8 × 5.958 + 10 × 1)/18 = 3.204; H100 (434 × 3.204 + 10 × 434)/11 = 520.9 tok/s
    // (0.491 s); 3090 (100.7 × 3.204 + 8 × 600)/9 = 569.2 tok/s (0.450 s).
    const rtx3090 = makeNode('rtx3090', { computeScore: 100.7, runtimeKind: 'openai' })
    const h100 = makeNode('h100', { computeScore: 434, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    for (let i = 0; i < 8; i++) state.knowledge.observe(sample(rtx3090.slot, 600, 100.7))
    expect(selectedId(select([h100, rtx3090], makeRequest({ model: MODEL }), state))).toBe('h100')
    for (let i = 0; i < 10; i++) state.knowledge.observe(sample(h100.slot, 434, 434))
    const selection = select([h100, rtx3090], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('rtx3090')
    expect(finishReason(selection).estimateS).toBeCloseTo(0.45, 2)
  })

  it('forgets samples over time: after ten half-lives a measured node is back at its prior', () => {
    // a: 8 × 20 tok/s (200 points), b: 8 × 100 tok/s (100 points): ratio (8 × 0.1 + 8 × 1)/16 = 0.55.
    // a = (110 + 8 × 20)/9 = 30 tok/s (8.5 s), b = (55 + 800)/9 = 95 tok/s (2.7 s): b. After 300 s
    // (10 half-lives of 30 s) the samples weigh 8/1024: a ≈ 109 tok/s, b ≈ 55 tok/s: a.
    const a = makeNode('a', { computeScore: 200, runtimeKind: 'openai' })
    const b = makeNode('b', { computeScore: 100, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.knowledge.refresh(NOW)
    for (let i = 0; i < 8; i++) state.knowledge.observe(sample(a.slot, 20, 200))
    for (let i = 0; i < 8; i++) state.knowledge.observe(sample(b.slot, 100, 100))
    expect(selectedId(select([a, b], makeRequest({ model: MODEL, now: NOW + 1_000 }), state))).toBe('b')
    expect(selectedId(select([a, b], makeRequest({ model: MODEL, now: NOW + 300_000 }), state))).toBe('a')
  })
})

describe('fastest-finish: load and ties', () => {
  it('moves on to the next node once sharing the fast one would finish later', () => {
    // Decode alone scales with batch^0.3: H100 with k in flight is 256 × (k+1)^0.3 / 434;
    // k = 6: 7^0.3 = 1.792 → 1.057 s < A100's 256 / 235.1 = 1.089 s; k = 7: 8^0.3 = 1.866 → 1.101 s.
    const nodes = [
      makeNode('h100', { computeScore: 434, maxConcurrency: 32 }),
      makeNode('a100', { computeScore: 235.1, maxConcurrency: 24 }),
    ]
    const picks = holdSlots(nodes, makeState('fastest-finish'), 8)
    expect(picks).toEqual(['h100', 'h100', 'h100', 'h100', 'h100', 'h100', 'h100', 'a100'])
  })

  it('never spreads a saturated fleet evenly: every pick goes where it finishes soonest', () => {
    // 400 vs 40 points, 4 slots, both full. Fast with q queued: (q × 0.64 / 2.639 + 0.64 × 1.5157)
    // = 0.2425 q + 0.970 s; slow full: 6.4 × 1.5157 + 6.4/2.639 × q' = 9.70 + 2.425 q'. The fast node
    // keeps winning until 0.2425 q + 0.970 > 9.70 + 2.425, i.e. q ≥ 46: all 20 picks go to it.
    const nodes = [
      makeNode('fast', { computeScore: 400, maxConcurrency: 4, inFlight: 4 }),
      makeNode('slow', { computeScore: 40, maxConcurrency: 4, inFlight: 4 }),
    ]
    const picks = holdSlots(nodes, makeState('fastest-finish'), 20)
    expect(picks.filter((id) => id === 'slow')).toEqual([])
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
    // h100: 30 backlog + 1 on 4 slots → 27 queued: 27 × 0.590 / 2.639 + 0.894 = 6.93 s; a100 1.089 s.
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
    // Score 0 counts as 0.1: 256 / 0.1 = 2 560 s alone, a finite number, so it can still serve.
    const cpu = makeNode('cpu', { computeScore: 0, runtimeKind: 'openai' })
    const only = select([cpu], makeRequest(), makeState('fastest-finish'))
    expect(selectedId(only)).toBe('cpu')
    expect(finishReason(only).estimateS).toBeCloseTo(2_560, 6)
    const t4 = makeNode('t4', { computeScore: 36.1, inFlight: 3, runtimeKind: 'openai' })
    expect(selectedId(select([cpu, t4], makeRequest(), makeState('fastest-finish')))).toBe('t4')
  })

  it('does not let a node scored just above zero set the fleet’s speed per point', () => {
    // A registration scored 5e-324 (a denormal) answers at 1 token/s. Calibrating per point would make
    // the fleet's rate 1 / 5e-324 = ∞; the node counts at the 0.1 floor and calibrates nothing, so an
    // unmeasured H100 stays at 256 / 434 = 0.590 s.
    const tiny = makeNode('tiny', { computeScore: 5e-324, runtimeKind: 'openai' })
    const h100 = makeNode('h100', { computeScore: 434, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.knowledge.observe({
      ...waitSample(tiny.slot, MODEL, 5e-324, 1, 0),
      decodeTokens: 256,
      decodeSeconds: 256,
    })
    const selection = select([tiny, h100], makeRequest({ model: MODEL }), state)
    expect(selectedId(selection)).toBe('h100')
    expect(finishReason(selection).estimateS).toBeCloseTo(0.59, 2)
  })

  it('ranks a node whose estimate is not a number last, and still picks it when it is alone', () => {
    const broken = makeNode('broken', { computeScore: Number.NaN, runtimeKind: 'openai' })
    const t4 = makeNode('t4', { computeScore: 36.1, runtimeKind: 'openai' })
    expect(selectedId(select([broken, t4], makeRequest(), makeState('fastest-finish')))).toBe('t4')
    expect(selectedId(select([broken], makeRequest(), makeState('fastest-finish')))).toBe('broken')
  })

  it("expects the client's token limit when it is shorter than the model's mean answer", () => {
    const h100 = makeNode('h100', { computeScore: 434, runtimeKind: 'openai' })
    const limited = (maxOutputTokens: number) =>
      finishReason(
        select(
          [h100],
          makeRequest({ probe: { promptTokens: 0, prefixHashes: new Int32Array(0), maxOutputTokens } }),
          makeState('fastest-finish'),
        ),
      ).estimateS
    // Idle, warm, no prompt: decode alone. 16 / 434 = 0.0369 s; a limit of 1 000 leaves 256 / 434 = 0.590 s.
    expect(limited(16)).toBeCloseTo(0.0369, 4)
    expect(limited(1_000)).toBeCloseTo(0.5899, 4)
  })

  it('expects the first token after the prompts ahead and the load themselves, not their weighted price', () => {
    // An idle H100, the model not loaded (a 5 s load, priced 5 times) and 13 020 prompt tokens ahead,
    // 1 s at 434 × 30 tokens/s (priced 8 times): est 8 + 25 + 256 / 434 = 33.59 s, first token at 1 + 5.
    const h100 = makeNode('h100', { computeScore: 434 })
    const state = makeState('fastest-finish')
    state.knowledge.addAwaiting(h100.slot, 13_020)
    const reason = finishReason(select([h100], makeRequest({ model: MODEL }), state))
    expect(reason.estimateS).toBeCloseTo(33.59, 2)
    expect(reason.firstTokenS).toBeCloseTo(6, 6)
  })

  it('still counts whole answers for the requests queued ahead of a short one', () => {
    // 4 in flight of 4, backlog 1: 2 queued, each place turning over at 256 / 434 × 4^0.3 = 0.894 s,
    // so 2 × 0.894 / 4 = 0.447 s of queue; this answer's 1 token in a batch of 4: 1 / 434 × 1.5157.
    const full = makeNode('h100', {
      computeScore: 434,
      inFlight: 4,
      runtimeBacklog: 1,
      runtimeKind: 'openai',
    })
    const probe = { promptTokens: 0, prefixHashes: new Int32Array(0), maxOutputTokens: 1 }
    const reason = finishReason(select([full], makeRequest({ probe }), makeState('fastest-finish')))
    expect(reason.estimateS).toBeCloseTo(0.447 + 0.0035, 4)
  })

  it('says in the reason that the request queues on a full node', () => {
    // 4 in flight of 4, runtime backlog 1: 5 + 1 → 2 queued. 256/434 = 0.590 s;
    // 2 × 0.590 / 2.639 + 0.894 = 1.341 s.
    const nodes = [
      makeNode('h100', { computeScore: 434, inFlight: 4, runtimeBacklog: 1, runtimeKind: 'openai' }),
    ]
    const reason = finishReason(select(nodes, makeRequest(), makeState('fastest-finish')))
    expect(reason).toMatchObject({ inFlight: 5, max: 4, decidedBy: 'only-candidate', runnerUp: null })
    // No prompt, nothing to load: the first token comes after the 0.447 s queue alone.
    expect(reason.firstTokenS).toBeCloseTo(0.447, 3)
    expect(formatReason(reason)).toBe('warm, 5/4 in flight, queues: est 1.3 s')
  })
})
