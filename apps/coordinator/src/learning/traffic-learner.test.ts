import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SelectionReason } from '../core/balancer/selection.js'
import { makeNode } from '../core/balancer/strategy-contract.test-suite.js'
import { FleetKnowledge } from '../core/learning/fleet-knowledge.js'
import { PrefixIndex } from '../core/learning/prefix-index.js'
import type { NodeView } from '../core/node-view.js'
import type { AttemptRequest, ProxiedRecord } from '../proxy/proxy-observer.js'
import { TrafficLearner } from './traffic-learner.js'

const NOW = 1_800_000_000_000
const REASON = { kind: 'round-robin', position: 1, of: 2 } as SelectionReason

function setup() {
  const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
  const shared: [string, number][] = []
  const learner = new TrafficLearner({
    knowledge,
    prefixIndex: new PrefixIndex({ maxEntries: 1_000, ttlMs: 600_000 }),
    clock: () => NOW,
    monotonic: () => 0,
    inFlightOf: () => 0,
    pushLagMs: 2_000,
    shareAwaiting: (nodeId, tokens) => shared.push([nodeId, tokens]),
  })
  return { knowledge, learner, shared }
}

function chatRequest(promptTokens: number): AttemptRequest {
  return {
    model: 'llama3.1:8b',
    apiKind: 'ollama',
    route: '/api/chat',
    probe: { promptTokens, prefixHashes: new Int32Array(0) },
  }
}

function ended(request: AttemptRequest, node = makeNode('a')): ProxiedRecord {
  return {
    request,
    route: request.route,
    model: request.model,
    node,
    reasonText: '',
    status: 200,
    ttfbMs: 1,
    totalMs: 2,
    retries: 0,
  }
}

describe('TrafficLearner: prompts a node has not answered yet', () => {
  it('counts a prompt from its attempt until the first byte of the answer streams past', () => {
    const { knowledge, learner } = setup()
    const node = makeNode('a')
    const request = chatRequest(1_200.4)
    learner.onAttempt(node, REASON, 0, request)
    expect(knowledge.awaitingTokens[node.slot]).toBe(1_200)
    const tap = learner.onResponse({ node, request, statusCode: 200, sentAt: 0, headersAt: 1 })
    tap?.chunk(Buffer.from('{"message":{"content":"Hi"}}\n'))
    expect(knowledge.awaitingTokens[node.slot]).toBe(0)
    tap?.chunk(Buffer.from('{"done":true}\n'))
    tap?.end(true)
    learner.onProxied(ended(request, node))
    expect(knowledge.awaitingTokens[node.slot]).toBe(0)
    expect(learner.awaitingCount).toBe(0)
  })

  it('hands each change of a node’s total to the shared store, so other coordinators count it too', () => {
    const { learner, shared } = setup()
    const first = makeNode('a')
    const second = makeNode('b')
    const one = chatRequest(800)
    const two = chatRequest(300)
    learner.onAttempt(first, REASON, 0, one)
    learner.onAttempt(first, REASON, 0, two)
    learner.onAttempt(second, REASON, 1, one)
    learner.onProxied(ended(two, first))
    expect(shared).toEqual([
      ['a', 800],
      ['a', 1_100],
      ['a', 300],
      ['b', 800],
      ['a', 0],
    ])
  })

  it('moves a failed-over prompt to the next node, and drops it when the request ends without a byte', () => {
    const { knowledge, learner } = setup()
    const first = makeNode('a')
    const second = makeNode('b')
    const request = chatRequest(800)
    learner.onAttempt(first, REASON, 0, request)
    learner.onAttempt(second, REASON, 1, request)
    expect(knowledge.awaitingTokens[first.slot]).toBe(0)
    expect(knowledge.awaitingTokens[second.slot]).toBe(800)
    learner.onProxied(ended(request, second))
    expect(knowledge.awaitingTokens[second.slot]).toBe(0)
    expect(learner.awaitingCount).toBe(0)
  })

  it('drops a prompt whose failover was rejected (no node, or the queue gave up) after the first node failed', () => {
    const { knowledge, learner } = setup()
    const node = makeNode('a')
    const request = chatRequest(600)
    learner.onAttempt(node, REASON, 0, request)
    expect(knowledge.awaitingTokens[node.slot]).toBe(600)
    learner.onRejected({
      request,
      route: request.route,
      model: request.model,
      apiKind: 'ollama',
      cause: 'queue-timeout',
      status: 503,
    })
    expect(knowledge.awaitingTokens[node.slot]).toBe(0)
    expect(learner.awaitingCount).toBe(0)
  })

  describe('an answer that is not streamed (its first byte is its end)', () => {
    afterEach(() => {
      vi.useRealTimers()
    })
    /** The default balancer's reason, expecting the first token after `firstTokenS`. */
    const finishing = (firstTokenS: number) =>
      ({ kind: 'fastest-finish', cachedTokens: 0, firstTokenS }) as SelectionReason
    const notStreamed = (promptTokens: number) => ({ ...chatRequest(promptTokens), isStreaming: false })

    it('counts its prompt only until the time the estimate gave for its first token', () => {
      vi.useFakeTimers()
      const { knowledge, learner } = setup()
      const node = makeNode('a')
      const request = notStreamed(900)
      learner.onAttempt(node, finishing(0.5), 0, request)
      vi.advanceTimersByTime(499)
      expect(knowledge.awaitingTokens[node.slot]).toBe(900)
      vi.advanceTimersByTime(1)
      expect(knowledge.awaitingTokens[node.slot]).toBe(0)
      expect(learner.awaitingCount).toBe(0)
      // The answer ends later: nothing is taken off twice.
      learner.onProxied(ended(request, node))
      expect(knowledge.awaitingTokens[node.slot]).toBe(0)
    })

    it('moves with a failover: the first node’s estimate does not release the prompt on the next', () => {
      vi.useFakeTimers()
      const { knowledge, learner } = setup()
      const first = makeNode('a')
      const second = makeNode('b')
      const request = notStreamed(700)
      learner.onAttempt(first, finishing(0.2), 0, request)
      learner.onAttempt(second, finishing(2), 1, request)
      vi.advanceTimersByTime(1_999)
      expect(knowledge.awaitingTokens[first.slot]).toBe(0)
      expect(knowledge.awaitingTokens[second.slot]).toBe(700)
      vi.advanceTimersByTime(1)
      expect(knowledge.awaitingTokens[second.slot]).toBe(0)
    })

    it('lets no timer of a node that left release the prompt where its request failed over', () => {
      vi.useFakeTimers()
      const { knowledge, learner } = setup()
      const gone = makeNode('a')
      const next = makeNode('b')
      const request = notStreamed(400)
      learner.onAttempt(gone, finishing(0.5), 0, request)
      learner.onNodeRemoved({ id: gone.id, runtimeUrl: 'http://a:11434', slot: gone.slot })
      learner.onAttempt(next, finishing(5), 1, request)
      vi.advanceTimersByTime(4_999)
      expect(knowledge.awaitingTokens[next.slot]).toBe(400)
      vi.advanceTimersByTime(1)
      expect(knowledge.awaitingTokens[next.slot]).toBe(0)
    })

    it('leaves a streamed answer, and one routed without an estimate, counted until their first byte or end', () => {
      vi.useFakeTimers()
      const { knowledge, learner } = setup()
      const node = makeNode('a')
      learner.onAttempt(node, finishing(0.5), 0, chatRequest(300))
      learner.onAttempt(node, finishing(0.5), 0, { ...chatRequest(200), isStreaming: true })
      learner.onAttempt(node, REASON, 0, notStreamed(100))
      vi.advanceTimersByTime(60_000)
      expect(knowledge.awaitingTokens[node.slot]).toBe(600)
    })
  })

  it('counts no prompt for routes that generate nothing, and forgets those of a node that leaves', () => {
    const { knowledge, learner } = setup()
    const node = makeNode('a')
    learner.onAttempt(node, REASON, 0, { ...chatRequest(500), route: '/api/show' })
    expect(learner.awaitingCount).toBe(0)
    learner.onAttempt(node, REASON, 0, chatRequest(500))
    learner.onNodeRemoved({ id: node.id, runtimeUrl: 'http://a:11434', slot: node.slot })
    expect(learner.awaitingCount).toBe(0)
    expect(knowledge.awaitingTokens[node.slot]).toBe(0)
  })
})

/** `reads` of the answer to `request` on `node` as [ms, text], sent there first with `reason` when given. */
function learnFrom(
  node: NodeView,
  request: AttemptRequest,
  reads: readonly (readonly [number, string])[],
  reason?: SelectionReason,
): FleetKnowledge {
  const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
  let nowMs = 0
  const learner = new TrafficLearner({
    knowledge,
    prefixIndex: new PrefixIndex({ maxEntries: 1_000, ttlMs: 600_000 }),
    clock: () => NOW,
    monotonic: () => nowMs,
    inFlightOf: () => 1,
    pushLagMs: 2_000,
  })
  if (reason !== undefined) learner.onAttempt(node, reason, 0, request)
  const tap = learner.onResponse({ node, request, statusCode: 200, sentAt: 0, headersAt: 0 })
  for (const [at, text] of reads) {
    nowMs = at
    tap?.chunk(Buffer.from(text))
  }
  tap?.end(true)
  return knowledge
}

describe('TrafficLearner: OpenAI-style answers', () => {
  /** An OpenAI answer of 401 tokens in three reads, 400 ms apart, its usage in the last. */
  function answer(isStreaming: boolean) {
    const node = makeNode('a', { runtimeKind: 'openai' })
    const request = { ...chatRequest(1_000), apiKind: 'openai' as const, isStreaming }
    const knowledge = learnFrom(node, request, [
      [100, '{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"content":"'],
      [500, 'x'.repeat(8_000)],
      [900, '"}}],"usage":{"prompt_tokens":1000,"completion_tokens":401,"total_tokens":1401}}'],
    ])
    const table = knowledge.table(request.model)
    return { decode: table.decodeWeight[node.slot], lengths: table.outputTokens.weight }
  }

  it('learns decode from a stream, first to last chunk', () => {
    expect(answer(true).decode).toBe(1)
  })

  it('learns no decode from an answer in one piece, however many reads it took', () => {
    expect(answer(false)).toEqual({ decode: 0, lengths: 1 })
  })
})

describe('TrafficLearner: Ollama answers and the wait for a place', () => {
  /**
   * An Ollama answer alone on its node that waited 10 ms, prefilled 0.2 s and decoded 3 s, its first
   * chunk through the proxy at 3.21 s when it came in one piece, at 0.21 s when streamed.
   */
  function answer(isStreaming: boolean) {
    const node = makeNode('a')
    const final =
      '{"done":true,"total_duration":3210000000,"load_duration":0,"prompt_eval_count":100,' +
      '"prompt_eval_duration":200000000,"eval_count":300,"eval_duration":3000000000}\n'
    const first = [210, '{"message":{"content":"Hi"},"done":false}\n'] as const
    const reads = isStreaming ? [first, [3_210, final] as const] : [[3_210, final] as const]
    const knowledge = learnFrom(node, { ...chatRequest(100), isStreaming }, reads)
    return { ceiling: knowledge.ceiling[node.slot], capacity: knowledge.capacity[node.slot] }
  }

  it('does not take the decode of an answer in one piece for a wait, which would cap the node at one place', () => {
    // Ollama's own wait (total − prefill − decode) is 10 ms: unqueued, so the node may run one more.
    expect(answer(false)).toEqual({ ceiling: 0, capacity: 2 })
  })

  it('reads the same answer streamed alike: its first chunk came right after the prefill', () => {
    expect(answer(true)).toEqual({ ceiling: 0, capacity: 2 })
  })

  it('scales the decode rate to alone by the batch on one GPU, so a host of 4 GPUs is not read faster per request than it is', () => {
    // 300 tokens in 3 s with 3 requests on the node (4 when it started, 1 when it ended, rounded up).
    const decodeAlone = (gpuCount: number) => {
      const node = makeNode('a', { gpuCount, gpuVramBytes: 80e9, inFlight: 3 })
      const final =
        '{"done":true,"total_duration":3210000000,"load_duration":0,"prompt_eval_count":100,' +
        '"prompt_eval_duration":200000000,"eval_count":300,"eval_duration":3000000000}\n'
      const knowledge = learnFrom(node, chatRequest(100), [[3_210, final]])
      return knowledge.table('llama3.1:8b').decodeMean[node.slot]
    }
    // On 4 GPUs each request decoded alone: 100 tokens/s. On one, 3 together: 100 × 3^0.3 = 139.0.
    expect(decodeAlone(4)).toBeCloseTo(100, 6)
    expect(decodeAlone(1)).toBeCloseTo(139.039, 3)
  })
})

describe('TrafficLearner: the prompt a runtime computed, where part of it was cached', () => {
  /** Sent by `fastest-finish`, which expected `cachedTokens` of the prompt cached on the node. */
  const sentExpecting = (cachedTokens: number) =>
    ({
      kind: 'fastest-finish',
      cachedTokens,
      isResident: true,
      estimateS: 1,
      firstTokenS: 0.1,
    }) as SelectionReason

  /** An Ollama answer to a prompt of 1 000 tokens whose computed part took 0.1 s. */
  function ollamaPrefill(reason?: SelectionReason): number | undefined {
    const node = makeNode('a')
    const final =
      '{"done":true,"total_duration":1200000000,"load_duration":0,"prompt_eval_count":1000,' +
      '"prompt_eval_duration":100000000,"eval_count":100,"eval_duration":1000000000}\n'
    const knowledge = learnFrom(node, chatRequest(1_000), [[1_200, final]], reason)
    return knowledge.table('llama3.1:8b').prefillMean[node.slot]
  }

  it('takes Ollama’s count as the whole prompt, less the share the balancer expected cached there', () => {
    // Ollama counts cached tokens too (llm/llama_server.go promptEvalCount() = cache_n + prompt_n) but
    // times only the rest: with 900 of 1 000 expected cached, 100 tokens in 0.1 s.
    expect(ollamaPrefill(sentExpecting(900))).toBeCloseTo(1_000, 6)
  })

  it('takes the whole count where nothing was expected cached, or no attempt was seen', () => {
    expect(ollamaPrefill(sentExpecting(0))).toBeCloseTo(10_000, 6)
    expect(ollamaPrefill()).toBeCloseTo(10_000, 6)
  })

  /** An OpenAI stream of 1 000 prompt tokens, its first chunk 0.1 s after it was sent. */
  function openAiPrefill(usage: string, reason: SelectionReason): number | undefined {
    const node = makeNode('a', { runtimeKind: 'openai' })
    const request = { ...chatRequest(1_000), apiKind: 'openai' as const }
    const knowledge = learnFrom(
      node,
      request,
      [
        [100, 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'],
        [500, 'data: {"choices":[{"index":0,"delta":{"content":"b"}}]}\n\n'],
        [900, `data: {"choices":[],"usage":${usage}}\n\ndata: [DONE]\n\n`],
      ],
      reason,
    )
    return knowledge.table(request.model).prefillMean[node.slot]
  }

  it('takes the cached tokens an answer reports, 0 included, and the expected share where it reports none', () => {
    const reported = (cached: number) =>
      `{"prompt_tokens":1000,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":${cached}}}`
    expect(openAiPrefill(reported(500), sentExpecting(900))).toBeCloseTo(5_000, 6)
    // llama.cpp server reports a miss as 0: the runtime's word beats the expectation.
    expect(openAiPrefill(reported(0), sentExpecting(900))).toBeCloseTo(10_000, 6)
    const unreported = '{"prompt_tokens":1000,"completion_tokens":3}'
    expect(openAiPrefill(unreported, sentExpecting(900))).toBeCloseTo(1_000, 6)
  })
})
