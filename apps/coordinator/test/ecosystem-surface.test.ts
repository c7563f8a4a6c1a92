/**
 * What Ollama and OpenAI clients and UIs ask of the coordinator besides chat (issue 12), end to end: a
 * real coordinator, mock runtimes registered through the agent API, raw HTTP. Each block failed before
 * the coordinator served it: `HEAD /` 404, `/api/show` 404, `/api/tags` with `size: 0` and an empty
 * digest, `/api/ps` 404, `/v1/responses`, `/v1/messages` and `/v1/models/{id}` 404, fastify-shaped 404s.
 */
import type { AgentMetrics, ModelDetail } from '@llm-fleet/types'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { FLEET_AGENT_TOKEN, type Fleet, startFleet } from './helpers/start-fleet.js'

const DETAIL: ModelDetail = {
  name: 'llama3.1:8b',
  sizeBytes: 4_920_753_328,
  digest: '46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e',
  modifiedAt: '2026-11-20T09:00:00.000Z',
  details: {
    parentModel: '',
    format: 'gguf',
    family: 'llama',
    families: ['llama'],
    parameterSize: '8.0B',
    quantizationLevel: 'Q4_K_M',
  },
}

async function call(fleet: Fleet, method: 'GET' | 'HEAD' | 'POST' | 'DELETE', path: string, body?: object) {
  const response = await request(`${fleet.url}${path}`, {
    method,
    dispatcher: fleet.client,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  const text = await response.body.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.statusCode, headers: response.headers, text, json }
}

function loadedMetrics(agentId: string, name: string): AgentMetrics {
  return {
    agentId,
    cpuUsage: 1,
    memoryUsage: 1,
    activeRequests: 0,
    avgResponseTimeMs: null,
    timestamp: new Date().toISOString(),
    gpus: [],
    gpuUsage: null,
    gpuMemoryUsage: null,
    runtime: {
      up: true,
      models: [name],
      loadedModels: [name],
      loaded: [
        {
          name,
          sizeBytes: 6_000_000_000,
          sizeVramBytes: 5_000_000_000,
          expiresAt: '2026-11-29T10:05:00.000Z',
        },
      ],
    },
  }
}

describe('the Ollama surface', () => {
  it('answers HEAD / and GET / as Ollama does, without an API key', async () => {
    const fleet = await startFleet({ API_KEYS: 'client-key' })
    const head = await call(fleet, 'HEAD', '/')
    expect(head.status).toBe(200)
    const get = await call(fleet, 'GET', '/')
    expect({ status: get.status, text: get.text }).toEqual({ status: 200, text: 'Ollama is running' })
  })

  it('lists /api/tags with the sizes, digests, dates and details the nodes report', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ models: ['llama3.1:8b', 'qwen2.5:7b'], modelDetails: [DETAIL] })
    const { json } = await call(fleet, 'GET', '/api/tags')
    const models = (json as { models: Record<string, unknown>[] }).models
    expect(models[0]).toEqual({
      name: 'llama3.1:8b',
      model: 'llama3.1:8b',
      modified_at: DETAIL.modifiedAt,
      size: DETAIL.sizeBytes,
      digest: DETAIL.digest,
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '8.0B',
        quantization_level: 'Q4_K_M',
      },
    })
    // A model without reported details still has a digest `ollama list` can cut 12 characters from.
    expect(String(models[1]?.digest).length).toBeGreaterThanOrEqual(12)
  })

  it('lists /api/ps from what the agents report loaded, with size_vram and expires_at', async () => {
    const fleet = await startFleet()
    const { nodeId } = await fleet.addRuntime({ models: ['llama3.1:8b'], modelDetails: [DETAIL] })
    expect(fleet.registry.ingestMetrics(nodeId, loadedMetrics(nodeId, 'llama3.1:8b')).kind).toBe('ok')
    const { status, json } = await call(fleet, 'GET', '/api/ps')
    expect(status).toBe(200)
    expect(json).toEqual({
      models: [
        expect.objectContaining({
          name: 'llama3.1:8b',
          size: 6_000_000_000,
          size_vram: 5_000_000_000,
          expires_at: '2026-11-29T10:05:00.000Z',
          digest: DETAIL.digest,
        }),
      ],
    })
  })

  it('forwards /api/show to a node serving the model, and 404s in Ollama shape otherwise', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ models: ['llama3.1:8b'] })
    const shown = await call(fleet, 'POST', '/api/show', { model: 'Llama3.1:8B' })
    expect(shown.status).toBe(200)
    expect(shown.json).toMatchObject({ details: { family: 'llama' } })
    expect((await call(fleet, 'POST', '/api/show', { name: 'llama3.1:8b' })).status).toBe(200)
    const missing = await call(fleet, 'POST', '/api/show', { model: 'mistral:7b' })
    expect(missing).toMatchObject({ status: 404, json: { error: expect.stringContaining('mistral:7b') } })
  })

  it('reports the lowest Ollama version the nodes run', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ runtimeVersion: '0.12.3' })
    await fleet.addRuntime({ runtimeVersion: '0.9.10' })
    expect((await call(fleet, 'GET', '/api/version')).json).toEqual({ version: '0.9.10' })
  })

  it('refuses model management in Ollama shape, saying models are managed on the nodes', async () => {
    const fleet = await startFleet()
    for (const [method, path] of [
      ['POST', '/api/pull'],
      ['POST', '/api/create'],
      ['POST', '/api/copy'],
      ['POST', '/api/push'],
      ['DELETE', '/api/delete'],
      ['POST', '/api/blobs/sha256:abc'],
    ] as const) {
      const answer = await call(fleet, method, path, { model: 'llama3.1:8b' })
      expect({ path, status: answer.status }).toEqual({ path, status: 501 })
      expect(answer.json).toEqual({ error: expect.stringContaining('managed on the nodes') })
    }
  })
})

describe('the OpenAI and Anthropic surfaces', () => {
  it('forwards /v1/responses, /v1/messages and other model-naming POST /v1/* routes', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'openai', models: ['llama3.1:8b'] })
    const responses = await call(fleet, 'POST', '/v1/responses', { model: 'llama3.1:8b', input: 'hi' })
    expect(responses).toMatchObject({ status: 200, json: { object: 'response' } })
    expect(responses.headers['x-fleet-node']).toBeDefined()
    const messages = await call(fleet, 'POST', '/v1/messages', {
      model: 'llama3.1:8b',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(messages).toMatchObject({ status: 200, json: { type: 'message' } })
    // A route the mock does not serve still reaches it: its own 404 comes back, not the coordinator's.
    const rerank = await call(fleet, 'POST', '/v1/rerank', {
      model: 'llama3.1:8b',
      query: 'q',
      documents: ['d'],
    })
    expect(rerank.headers['x-fleet-node']).toBeDefined()
  })

  it('answers GET /v1/models/{id}, ids with slashes included', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'openai', models: ['meta-llama/Llama-3.1-8B'] })
    const found = await call(fleet, 'GET', '/v1/models/meta-llama/Llama-3.1-8B')
    expect(found).toMatchObject({ status: 200, json: { id: 'meta-llama/Llama-3.1-8B', object: 'model' } })
    const missing = await call(fleet, 'GET', '/v1/models/gpt-4o')
    expect(missing).toMatchObject({
      status: 404,
      json: { error: { message: expect.stringContaining('gpt-4o') } },
    })
  })

  it('answers unknown routes and errors in the shape of their API', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'openai' })
    const openAi = await call(fleet, 'GET', '/v1/nothing')
    expect(openAi).toMatchObject({ status: 404, json: { error: { type: 'invalid_request_error' } } })
    const ollama = await call(fleet, 'GET', '/api/nothing')
    expect(ollama).toMatchObject({ status: 404, json: { error: expect.stringContaining('/api/nothing') } })
    const anthropic = await call(fleet, 'POST', '/v1/messages', {
      model: 'nobody-serves-this',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(anthropic.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  })

  it('answers a POST /v1/* naming no model as a route it does not serve, in the shape of its API', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'openai', models: ['llama3.1:8b'] })
    // The OpenAI SDK's `responses.cancel(id)`: a POST without a body.
    const cancel = await call(fleet, 'POST', '/v1/responses/resp_123/cancel')
    expect(cancel).toMatchObject({
      status: 404,
      json: {
        error: {
          type: 'invalid_request_error',
          code: 'FLEET_ROUTE_NOT_FOUND',
          message: expect.stringContaining('POST /v1/responses/resp_123/cancel'),
        },
      },
    })
    // The Anthropic SDK's `messages.batches.create`: the models are inside the requests.
    const batch = await call(fleet, 'POST', '/v1/messages/batches', {
      requests: [
        {
          custom_id: 'a',
          params: { model: 'llama3.1:8b', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
        },
      ],
    })
    expect(batch).toMatchObject({ status: 404, json: { type: 'error', error: { type: 'not_found_error' } } })
    for (const answer of [cancel, batch]) expect(answer.headers['x-fleet-node']).toBeUndefined()
    // A body that is not JSON is still the client's mistake, whatever the route.
    const invalid = await request(`${fleet.url}/v1/rerank`, {
      method: 'POST',
      dispatcher: fleet.client,
      headers: { 'content-type': 'application/json' },
      body: '{"model":',
    })
    expect(invalid.statusCode).toBe(400)
    expect(await invalid.body.json()).toMatchObject({ error: { code: 'FLEET_PROXY_BAD_REQUEST' } })
  })

  it('answers a URL it cannot decode in the shape of its API, and names a long agent id in its schema', async () => {
    const fleet = await startFleet()
    const openAi = await call(fleet, 'GET', '/v1/models/%zz')
    expect(openAi).toMatchObject({ status: 400, json: { error: { code: 'FST_ERR_BAD_URL' } } })
    const ollama = await call(fleet, 'POST', '/api/%zz')
    expect(ollama).toMatchObject({ status: 400, json: { error: expect.stringContaining('%zz') } })
    const remove = async (id: string) => {
      const response = await request(`${fleet.url}/api/agents/${id}`, {
        method: 'DELETE',
        dispatcher: fleet.client,
        headers: { authorization: `Bearer ${FLEET_AGENT_TOKEN}` },
      })
      return { status: response.statusCode, json: await response.body.json() }
    }
    // 101 characters, a valid id: past fastify's default router limit (100), which answered 414.
    expect(await remove('a'.repeat(101))).toMatchObject({
      status: 404,
      json: { code: 'FLEET_AGENT_NOT_FOUND' },
    })
    expect(await remove('a'.repeat(129))).toMatchObject({
      status: 400,
      json: { code: 'FLEET_INVALID_REQUEST', message: 'params.id: must be at most 128 characters' },
    })
  })
})
