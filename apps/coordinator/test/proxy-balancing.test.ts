import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'

describe('balancing under concurrency', () => {
  it('serves from the fastest node first, spills over when it is busy, then round-robins when all are', async () => {
    const fast = await startFakeRuntime({ name: 'fast', mode: { kind: 'gated' } })
    const slow = await startFakeRuntime({ name: 'slow', mode: { kind: 'gated' } })
    const coordinator = await startProxyHarness({ loadBalancerMode: 'spec' })
    coordinator.addNode(fast.url, { hostname: 'fast', computeScore: 800, maxConcurrency: 1 })
    coordinator.addNode(slow.url, { hostname: 'slow', computeScore: 200, maxConcurrency: 1 })
    const client = createClient()
    const open = async () => {
      // Gated runtimes send headers and a first chunk, then hold: the request stays in flight.
      const response = await postJson(client, `${coordinator.url}/api/chat`, { model: MODEL })
      return response
    }

    const first = await open()
    expect(first.headers['x-fleet-node']).toBe('fast')
    expect(first.headers['x-fleet-reason']).toBe('spec tier 1 (score 800), 0/1 in flight')

    const second = await open()
    expect(second.headers['x-fleet-node']).toBe('slow')
    expect(second.headers['x-fleet-reason']).toBe(
      'spill-over to tier 2 (score 200, 0/1 in flight): 1 faster node busy',
    )

    const third = await open()
    expect(third.headers['x-fleet-reason']).toMatch(/^all busy: round-robin/)
    expect(totalInFlight(coordinator.registry)).toBe(3)

    fast.release()
    slow.release()
    await Promise.all([first, second, third].map((response) => response.body.text()))
    await waitFor(() => totalInFlight(coordinator.registry) === 0)

    const afterwards = await open()
    expect(afterwards.headers['x-fleet-node']).toBe('fast')
    await afterwards.body.text()
  })
})

describe('GET /api/route', () => {
  it('explains the decision with every candidate and why it lost, without sending anything', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'gated' } })
    const coordinator = await startProxyHarness({ loadBalancerMode: 'spec' })
    const fastId = coordinator.addNode(runtime.url, {
      hostname: 'fast',
      computeScore: 800,
      maxConcurrency: 1,
    })
    coordinator.addNode(`${runtime.url}/b`, { hostname: 'mid', computeScore: 400 })
    coordinator.addNode(`${runtime.url}/c`, { hostname: 'low', computeScore: 100 })
    coordinator.addNode(`${runtime.url}/d`, { hostname: 'vllm', kind: 'openai', computeScore: 900 })
    coordinator.addNode(`${runtime.url}/e`, { hostname: 'other-model', models: ['other'] })
    const client = createClient()
    const busy = await postJson(client, `${coordinator.url}/api/chat`, { model: MODEL })
    expect(busy.headers['x-fleet-node']).toBe('fast')

    const explain = async () => {
      const response = await client.request({
        origin: coordinator.url,
        path: `/api/route?model=${encodeURIComponent(MODEL)}&api=ollama`,
        method: 'GET',
      })
      expect(response.statusCode).toBe(200)
      return (await response.body.json()) as {
        selected: { name: string; reason: string } | null
        candidates: {
          name: string
          id: string
          lostBecause: string | null
          inFlight: number
          computeScore: number
        }[]
      }
    }
    const answer = await explain()

    expect(answer.selected).toMatchObject({
      name: 'mid',
      reason: expect.stringMatching(/^spill-over to tier 2/),
    })
    const byName = Object.fromEntries(answer.candidates.map((candidate) => [candidate.name, candidate]))
    expect(answer.candidates[0]?.name).toBe('mid')
    expect(byName.fast).toMatchObject({
      id: fastId,
      inFlight: 1,
      computeScore: 800,
      lostBecause: 'busy: 1/1 in flight',
    })
    expect(byName.low?.lostBecause).toBe('lower tier (score 100 < 400)')
    expect(byName.vllm?.lostBecause).toBe('its openai runtime does not speak this API')
    expect(byName['other-model']?.lostBecause).toBe('does not serve the model')
    // Asking again gives the same answer: explaining takes no round-robin turn and sends nothing.
    expect(await explain()).toEqual(answer)
    expect(runtime.requests).toHaveLength(1)

    runtime.release()
    await busy.body.text()
  })

  it('says why nothing would serve an unknown model', async () => {
    const coordinator = await startProxyHarness()
    coordinator.addNode('http://127.0.0.1:9', { hostname: 'only' })
    const response = await createClient().request({
      origin: coordinator.url,
      path: '/api/route?model=nope',
      method: 'GET',
    })
    expect(await response.body.json()).toMatchObject({
      selected: null,
      cause: 'model-not-served',
      candidates: [{ name: 'only', lostBecause: 'does not serve the model' }],
    })
  })
})
