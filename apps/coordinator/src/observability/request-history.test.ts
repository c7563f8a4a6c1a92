import { describe, expect, it } from 'vitest'
import type { NodeView } from '../core/node-view.js'
import type { ProxiedRecord } from '../proxy/proxy-observer.js'
import { MAX_MODEL_LENGTH, RequestHistory } from './request-history.js'

const T0 = 1_800_000_000_000
const NODE: NodeView = {
  id: 'n1',
  name: 'gpu-a',
  runtimeKind: 'ollama',
  computeScore: 10,
  gpuScore: 10,
  gpuCount: 1,
  gpuVramBytes: 0,
  capacityShare: 1,
  slot: 0,
  inFlight: 0,
  runtimeBacklog: 0,
  othersAwaitingTokens: 0,
  maxConcurrency: 4,
  state: 'online',
  hasFreshMetrics: false,
  cpuPct: null,
  memoryPct: null,
  gpuUtilPct: null,
  gpuMemoryPct: null,
  models: new Set(['m']),
  modelKeys: new Set(['registry.ollama.ai/library/m:latest']),
  coolingDownUntilMs: null,
}

function proxied(totalMs: number, overrides: Partial<ProxiedRecord> = {}): ProxiedRecord {
  return {
    request: { model: 'm', apiKind: 'openai', route: '/v1/chat/completions' },
    route: '/v1/chat/completions',
    model: 'm',
    node: NODE,
    reasonText: 'spec tier 1 (score 10), 0/4 in flight',
    status: 200,
    ttfbMs: totalMs / 2,
    totalMs,
    retries: 0,
    ...overrides,
  }
}

function historyAt(start = T0) {
  let now = start
  const history = new RequestHistory({ now: () => now, decisions: 3, bucketMs: 5_000, windowMs: 20_000 })
  return { history, advance: (ms: number) => (now += ms) }
}

describe('RequestHistory', () => {
  it('keeps the last decisions, newest first', () => {
    const { history, advance } = historyAt()
    for (const totalMs of [10, 20, 30, 40]) {
      history.onProxied(proxied(totalMs))
      advance(1)
    }
    history.onRejected({
      request: { model: 'x', apiKind: 'ollama', route: '/api/chat' },
      route: '/api/chat',
      model: 'x',
      apiKind: 'ollama',
      cause: 'model-not-served',
      status: 404,
    })
    expect(
      history.recentDecisions().map((decision) => [decision.node, decision.status, decision.totalMs]),
    ).toEqual([
      [null, 404, 0],
      ['gpu-a', 200, 40],
      ['gpu-a', 200, 30],
    ])
    expect(history.recentDecisions()[0]?.reason).toBe('no node serves this model')
  })

  it('cuts a long model name', () => {
    const { history } = historyAt()
    history.onProxied(proxied(1, { model: 'x'.repeat(10_000) }))
    expect(history.recentDecisions()[0]?.model).toHaveLength(MAX_MODEL_LENGTH + 1)
  })

  it('gives requests per second and a p95 per bucket over the window, oldest first', () => {
    // Start on a bucket boundary: buckets are aligned to the clock.
    const { history, advance } = historyAt(T0 - (T0 % 5_000))
    // Bucket 0: 20 requests, 19 fast and one slow: p95 is the 19th value's bin (about 100 ms).
    for (let i = 0; i < 19; i++) history.onProxied(proxied(100))
    history.onProxied(proxied(60_000))
    advance(10_000)
    // Bucket 2 (bucket 1 stays empty), the current one, 2 s in: 4 requests of 1 s.
    advance(2_000)
    for (let i = 0; i < 4; i++) history.onProxied(proxied(1_000))

    const points = history.traffic()
    expect(points).toHaveLength(4)
    expect(points.map((point) => point.requestsPerSecond)).toEqual([0, 20 / 5, 0, 4 / 2])
    expect(points[0]?.p95Ms).toBeNull()
    // Bins are 25 % wide: the p95 reads at most 25 % above the true value, never below.
    expect(points[1]?.p95Ms).toBeGreaterThanOrEqual(100)
    expect(points[1]?.p95Ms).toBeLessThan(125)
    expect(points[2]?.p95Ms).toBeNull()
    expect(points[3]?.p95Ms).toBeGreaterThanOrEqual(1_000)
    expect(points[3]?.p95Ms).toBeLessThan(1_250)
  })

  it('forgets buckets older than the window', () => {
    const { history, advance } = historyAt(T0 - (T0 % 5_000))
    history.onProxied(proxied(5))
    const rates = () => history.traffic().map((point) => point.requestsPerSecond)
    // A 20 s window of 5 s buckets: four points, the request in the newest.
    advance(5_000 - 1)
    expect(rates()).toEqual([0, 0, 0, 1 / 4.999])
    // The last moment it is in the window, as the oldest point…
    advance(15_000)
    expect(rates()).toEqual([1 / 5, 0, 0, expect.any(Number)])
    // …and one bucket later it is gone.
    advance(1)
    expect(rates()).toHaveLength(4)
    expect(rates().slice(0, 3)).toEqual([0, 0, 0])
  })
})
