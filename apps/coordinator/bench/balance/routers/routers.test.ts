/** Each published router's rule, on hand-made states. */
import { describe, expect, it } from 'vitest'
import { agentReport } from '../world/agent-report.js'
import { FLEET } from '../world/fleet-spec.js'
import { LiteLlmLatencyRouter } from './litellm-latency.js'
import { LlmDRouter, SglangCacheAwareRouter, VllmPrefixAwareRouter } from './prefix-routers.js'
import type { Outcome, RouterHost } from './router.js'
import { WeightedLeastInFlightRouter } from './simple.js'

const hosts: RouterHost[] = FLEET.slice(0, 3).map((spec) => {
  const report = agentReport(spec)
  return { id: spec.name, report, registeredScore: report.computeScore, models: new Set(report.models) }
})
const [big, mid, small] = hosts as [RouterHost, RouterHost, RouterHost]
const fixed = () => 0
const request = (id: number, blocks: number[], promptTokens = blocks.length * 64) => ({
  id,
  model: 'llama3.1:8b',
  promptTokens,
  promptBlocks: Int32Array.from(blocks),
})
const outcome = (hostId: string, e2eMs: number, outputTokens: number): Outcome => ({
  requestId: 0,
  hostId,
  model: 'llama3.1:8b',
  status: 200,
  ttftMs: 1,
  e2eMs,
  promptTokens: 1,
  outputTokens,
  ollama: {
    total_duration: 0,
    load_duration: 0,
    prompt_eval_count: 0,
    prompt_eval_duration: 0,
    eval_count: 0,
    eval_duration: 0,
  },
})

describe('weighted least in-flight', () => {
  it('fills hosts in proportion to their registered scores', () => {
    const router = new WeightedLeastInFlightRouter(fixed)
    for (const host of hosts) router.addHost(host)
    const counts = new Map<string, number>()
    for (let i = 0; i < 200; i++) {
      const id = router.route(request(i, []), hosts, 0)
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    const ratio = (counts.get(big.id) ?? 0) / (counts.get(small.id) ?? 1)
    expect(ratio).toBeCloseTo(big.registeredScore / small.registeredScore, 0)
  })
})

describe('SGLang cache_aware', () => {
  it('follows a prefix above the 0.3 match rate and the smallest tree below it', () => {
    const router = new SglangCacheAwareRouter(fixed)
    for (const host of hosts) router.addHost(host)
    const first = router.route(request(1, [1, 2, 3, 4]), hosts)
    router.observe({ ...outcome(first, 1, 1) })
    expect(router.route(request(2, [1, 2, 3, 9]), hosts)).toBe(first)
    // 1 of 10 blocks matches (0.1 ≤ 0.3): the smallest tree, not the matching host.
    expect(router.route(request(3, [1, 20, 21, 22, 23, 24, 25, 26, 27, 28]), hosts)).not.toBe(first)
  })

  it('goes to the least loaded worker once max − min > 64 and max > 1.5 × min', () => {
    const router = new SglangCacheAwareRouter(fixed)
    for (const host of hosts) router.addHost(host)
    const target = router.route(request(0, [7, 8]), hosts)
    for (let i = 1; i <= 70; i++) router.route(request(i, [7, 8]), hosts)
    // Everything with the prefix stuck to `target` until the imbalance rule fired.
    const next = router.route(request(99, [7, 8]), hosts)
    expect(next).not.toBe(target)
  })
})

describe('vLLM production-stack prefixaware', () => {
  it('sends a known prefix back to the endpoint that had it', () => {
    const router = new VllmPrefixAwareRouter(Math.random)
    const first = router.route(request(1, [5, 6, 7]), hosts)
    for (let i = 0; i < 10; i++) expect(router.route(request(2, [5, 6, 7, 8]), hosts)).toBe(first)
  })
})

describe('llm-d default scorers', () => {
  it('weighs queue 2, KV 2, prefix 3: a full prefix match beats a shorter queue', () => {
    const router = new LlmDRouter(fixed)
    for (const host of hosts) router.addHost(host)
    const first = router.route(request(1, [1, 2, 3, 4]), hosts)
    for (const host of hosts)
      router.scrape(host.id, { running: 0, waiting: host.id === first ? 2 : 0, kvUsage: 0.1 })
    // prefix 3 × 1 + queue 2 × 0 = 3 > queue 2 × 1 + prefix 0 = 2.
    expect(router.route(request(2, [1, 2, 3, 4]), hosts)).toBe(first)
    for (const host of hosts)
      router.scrape(host.id, { running: 0, waiting: 0, kvUsage: host.id === first ? 1 : 0 })
    // KV full costs 2 but the prefix gives 3: still the same host.
    expect(router.route(request(3, [1, 2, 3, 4]), hosts)).toBe(first)
  })
})

describe('LiteLLM latency-based', () => {
  it('tries unseen deployments first, then keeps the lowest seconds per output token', () => {
    const router = new LiteLlmLatencyRouter(fixed)
    router.observe(outcome(big.id, 10_000, 100))
    router.observe(outcome(mid.id, 1_000, 100))
    expect(router.route(request(1, []), hosts)).toBe(small.id)
    router.observe(outcome(small.id, 50_000, 100))
    expect(router.route(request(2, []), hosts)).toBe(mid.id)
  })
})
