/**
 * Upstream errors as the runtimes really send them: statuses no HTTP client can be given, 500s and
 * stale-model 404s before the first byte (another node is tried), errors written inside a 200 stream,
 * and who is to blame: the runtime (cooled down for that model) or the request (nobody cooled down).
 */
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { listenUntilTestEnds } from './helpers/listen.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { scrapeMetrics } from './helpers/scrape-metrics.js'
import { createClient, MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'
import { metrics } from './helpers/wire-samples.js'

const OPENAI = '/v1/chat/completions'
const OLLAMA = '/api/chat'
const chat = (stream: boolean, content = 'hi') => ({
  model: MODEL,
  messages: [{ role: 'user', content }],
  stream,
})

/** A harness in spec mode, where the higher score is always tried first. */
async function specHarness() {
  return startProxyHarness({ loadBalancerMode: 'spec', coolDownMs: 600_000 })
}

describe('a status outside 100-599', () => {
  it('becomes a 502 in the API shape, with the lease released', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'status', statusCode: 700 } })
    const coordinator = await specHarness()
    coordinator.addNode(runtime.url)
    const client = createClient()

    const openAi = await postJson(client, `${coordinator.url}${OPENAI}`, chat(false))
    expect(openAi.statusCode).toBe(502)
    expect(await openAi.body.json()).toMatchObject({
      error: { type: 'server_error', code: 'FLEET_UPSTREAM_INVALID_RESPONSE' },
    })
    const ollama = await postJson(client, `${coordinator.url}${OLLAMA}`, chat(false))
    expect(ollama.statusCode).toBe(502)
    expect(await ollama.body.json()).toEqual({ error: expect.stringContaining('700') })
    await waitFor(() => totalInFlight(coordinator.registry) === 0, 'leases released')
    expect(proxiedLines(coordinator).map((line) => line.status)).toEqual([502, 502])
  })

  it('tries another node first', async () => {
    const broken = await startFakeRuntime({ name: 'broken', mode: { kind: 'status', statusCode: 999 } })
    const good = await startFakeRuntime({ name: 'good' })
    const coordinator = await specHarness()
    coordinator.addNode(broken.url, { computeScore: 900 })
    coordinator.addNode(good.url, { computeScore: 100 })

    const response = await postJson(createClient(), `${coordinator.url}${OPENAI}`, chat(false))
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-runtime']).toBe('good')
    await response.body.dump()
    expect(broken.requests).toHaveLength(1)
  })
})

describe('a 500 before any byte', () => {
  it('tries the next node; the failing node cools down for that model once others answered', async () => {
    const failing = await startFakeRuntime({ name: 'failing', mode: { kind: 'status', statusCode: 500 } })
    const good = await startFakeRuntime({ name: 'good' })
    const coordinator = await specHarness()
    const failingId = coordinator.addNode(failing.url, { computeScore: 900 })
    coordinator.addNode(good.url, { computeScore: 100 })
    const client = createClient()

    for (let i = 0; i < 3; i++) {
      const response = await postJson(client, `${coordinator.url}${OPENAI}`, chat(false, `q${i}`))
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-runtime']).toBe('good')
      await response.body.dump()
    }
    await waitFor(() => coordinator.registry.coolingForModel(MODEL)?.has(failingId) === true, 'cooling')
    // For that model only: the node itself is not cooling down.
    expect(coordinator.registry.get(failingId)?.coolingDownUntil).toBeNull()
    const after = await postJson(client, `${coordinator.url}${OPENAI}`, chat(false))
    await after.body.dump()
    expect(failing.requests).toHaveLength(3)
  })

  it('cools nobody down when every node answers the same request with a 500 (a bad request)', async () => {
    const runtimes = await Promise.all(
      ['a', 'b'].map((name) => startFakeRuntime({ name, mode: { kind: 'status', statusCode: 500 } })),
    )
    const coordinator = await specHarness()
    const ids = runtimes.map((runtime, i) => coordinator.addNode(runtime.url, { computeScore: 900 - i }))
    const client = createClient()

    for (let i = 0; i < 5; i++) {
      const response = await postJson(client, `${coordinator.url}${OPENAI}`, chat(false, 'choke'))
      expect(response.statusCode).toBe(500)
      await response.body.dump()
    }
    await waitFor(() => totalInFlight(coordinator.registry) === 0, 'leases released')
    expect(coordinator.registry.coolingForModel(MODEL)).toBeNull()
    for (const id of ids) expect(coordinator.registry.get(id)?.coolingDownUntil).toBeNull()
    // Each request was still tried on both nodes.
    for (const runtime of runtimes) expect(runtime.requests).toHaveLength(5)
  })
})

describe('a 404 for the model from a node whose list went stale', () => {
  it('tries a node that has it and skips the stale node until its next report', async () => {
    const stale = await startFakeRuntime({
      name: 'stale',
      mode: { kind: 'status', statusCode: 404, message: `model '${MODEL}' not found` },
    })
    const good = await startFakeRuntime({ name: 'good' })
    const coordinator = await specHarness()
    const staleId = coordinator.addNode(stale.url, { computeScore: 900 })
    coordinator.addNode(good.url, { computeScore: 100 })
    const client = createClient()

    for (let i = 0; i < 2; i++) {
      const response = await postJson(client, `${coordinator.url}${OLLAMA}`, chat(false))
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-runtime']).toBe('good')
      await response.body.dump()
    }
    expect(stale.requests).toHaveLength(1)

    // The next push names the model again: the node is offered it again.
    stale.setMode({ kind: 'ok' })
    coordinator.registry.ingestMetrics(
      staleId,
      metrics(staleId, { runtime: { up: true, models: [MODEL], loadedModels: [] } }),
    )
    const response = await postJson(client, `${coordinator.url}${OLLAMA}`, chat(false))
    expect(response.headers['x-runtime']).toBe('stale')
    await response.body.dump()
  })

  it('passes a 404 that is not about the model through when no other node is left', async () => {
    const runtime = await startFakeRuntime({
      mode: { kind: 'status', statusCode: 404, message: 'no such route' },
    })
    const coordinator = await specHarness()
    coordinator.addNode(runtime.url)
    const response = await postJson(createClient(), `${coordinator.url}${OLLAMA}`, chat(false))
    expect(response.statusCode).toBe(404)
    expect(await response.body.json()).toEqual({ error: 'no such route' })
  })
})

describe('an error written inside a 200 stream', () => {
  it.each([
    ['Ollama NDJSON', OLLAMA],
    ['vLLM SSE', OPENAI],
  ])(
    '(%s) is a failed request in the log and metrics, and counts toward the model cool-down',
    async (_what, path) => {
      const runtime = await startFakeRuntime({ mode: { kind: 'stream-error' } })
      const coordinator = await specHarness()
      const id = coordinator.addNode(runtime.url)
      const client = createClient()

      for (let i = 0; i < 3; i++) {
        const response = await postJson(client, `${coordinator.url}${path}`, chat(true))
        expect(response.statusCode).toBe(200)
        expect(await response.body.text()).toContain('failed mid-stream')
      }
      await waitFor(() => proxiedLines(coordinator).length === 3, 'three proxied lines')
      expect(proxiedLines(coordinator).map((line) => line.status)).toEqual([500, 500, 500])
      const scrape = await scrapeMetrics(coordinator.url)
      expect(scrape.sum('llm_fleet_requests_total', { route: path, status: '500' })).toBe(3)
      expect(coordinator.registry.coolingForModel(MODEL)?.has(id)).toBe(true)
    },
  )

  it('with a 4xx code (vLLM BadRequestError) is the request failing: nobody cools down', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'stream-error', code: 400 } })
    const coordinator = await specHarness()
    coordinator.addNode(runtime.url)
    const client = createClient()
    for (let i = 0; i < 4; i++) {
      const response = await postJson(client, `${coordinator.url}${OPENAI}`, chat(true))
      await response.body.text()
    }
    await waitFor(() => proxiedLines(coordinator).length === 4, 'four proxied lines')
    expect(proxiedLines(coordinator).map((line) => line.status)).toEqual([400, 400, 400, 400])
    expect(coordinator.registry.coolingForModel(MODEL)).toBeNull()
  })

  it.each([
    ['an `error` event', { type: 'error', code: 'server_error', message: 'engine died', param: null }],
    [
      '`response.failed`',
      {
        type: 'response.failed',
        response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'engine died' } },
      },
    ],
  ])(
    '(Responses API, %s) is a 500 in the log and counts toward the model cool-down',
    async (_what, failure) => {
      const url = await startResponsesRuntime([
        { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', error: null } },
        { type: 'response.output_text.delta', delta: 'Hel' },
        failure,
      ])
      const coordinator = await specHarness()
      const id = coordinator.addNode(url, { kind: 'openai' })
      const client = createClient()
      const request = { model: MODEL, input: 'hi', stream: true }
      for (let i = 0; i < 3; i++) {
        const response = await postJson(client, `${coordinator.url}/v1/responses`, request)
        expect(response.statusCode).toBe(200)
        expect(await response.body.text()).toContain('engine died')
      }
      await waitFor(() => proxiedLines(coordinator).length === 3, 'three proxied lines')
      expect(proxiedLines(coordinator).map((line) => line.status)).toEqual([500, 500, 500])
      expect(coordinator.registry.coolingForModel(MODEL)?.has(id)).toBe(true)
    },
  )
})

/**
 * A runtime that answers every request with these Responses API events, as vLLM writes them
 * (vllm/entrypoints/openai/responses/api_router.py `_convert_stream_to_sse_events`), then ends.
 */
async function startResponsesRuntime(
  events: readonly ({ type: string } & Record<string, unknown>)[],
): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      events.forEach((event, sequence) => {
        const data = JSON.stringify({ ...event, sequence_number: sequence })
        response.write(`event: ${event.type}\ndata: ${data}\n\n`)
      })
      response.end()
    })
  })
  return listenUntilTestEnds(server)
}
