import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL } from './helpers/start-coordinator.js'

const OPENAI = '/v1/chat/completions'
const OLLAMA = '/api/chat'

describe('errors in the API own format', () => {
  it('404s a model no node serves', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url, { models: [MODEL] })
    const client = createClient()

    const openAi = await postJson(client, `${coordinator.url}${OPENAI}`, { model: 'no-such-model' })
    expect(openAi.statusCode).toBe(404)
    expect(await openAi.body.json()).toEqual({
      error: {
        message: expect.stringContaining('no-such-model'),
        type: 'invalid_request_error',
        param: null,
        code: 'FLEET_PROXY_MODEL_NOT_SERVED',
      },
    })

    const ollama = await postJson(client, `${coordinator.url}${OLLAMA}`, { model: 'no-such-model' })
    expect(ollama.statusCode).toBe(404)
    // Ollama's own words for it (server/routes.go), which tools match to offer `ollama pull`.
    expect(await ollama.body.json()).toEqual({
      error: expect.stringMatching(/^model 'no-such-model' not found/),
    })
    expect(runtime.requests).toHaveLength(0)
  })

  it('503s with Retry-After when no node is online', async () => {
    const coordinator = await startProxyHarness()
    const client = createClient()

    const openAi = await postJson(client, `${coordinator.url}${OPENAI}`, { model: MODEL })
    expect(openAi.statusCode).toBe(503)
    expect(openAi.headers['retry-after']).toMatch(/^\d+$/)
    expect(await openAi.body.json()).toMatchObject({
      error: { type: 'server_error', code: 'FLEET_PROXY_NO_CANDIDATE' },
    })

    const ollama = await postJson(client, `${coordinator.url}${OLLAMA}`, { model: MODEL })
    expect(ollama.statusCode).toBe(503)
    expect(ollama.headers['retry-after']).toMatch(/^\d+$/)
    expect(await ollama.body.json()).toEqual({ error: expect.any(String) })
  })

  it('503s with Retry-After when the only node serving the model is draining', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    const nodeId = coordinator.addNode(runtime.url)
    const draining = await postJson(createClient(), `${coordinator.url}${OLLAMA}`, {
      model: MODEL,
      stream: false,
    })
    await draining.body.dump()
    coordinator.registry.drain(nodeId)

    const response = await postJson(createClient(), `${coordinator.url}${OLLAMA}`, { model: MODEL })

    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
  })

  it.each([
    { why: 'invalid JSON', body: '{"model": ' },
    { why: 'a missing model', body: '{"messages": []}' },
    { why: 'an empty model', body: '{"model": ""}' },
    { why: 'a body that is not an object', body: '["model"]' },
    { why: 'an empty body', body: '' },
  ])('400s $why', async ({ body }) => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)
    const client = createClient()

    const openAi = await postJson(client, `${coordinator.url}${OPENAI}`, body)
    expect(openAi.statusCode).toBe(400)
    expect(await openAi.body.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'FLEET_PROXY_BAD_REQUEST', message: expect.any(String) },
    })

    const ollama = await postJson(client, `${coordinator.url}${OLLAMA}`, body)
    expect(ollama.statusCode).toBe(400)
    expect(await ollama.body.json()).toEqual({ error: expect.any(String) })
    expect(runtime.requests).toHaveLength(0)
  })

  it('401s without a valid API key when API_KEYS is set, and serves with one', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness({ apiKeys: ['key-one', 'key-two'] })
    coordinator.addNode(runtime.url)
    const client = createClient()

    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic key-one' }]) {
      const openAi = await postJson(client, `${coordinator.url}${OPENAI}`, { model: MODEL }, { headers })
      expect(openAi.statusCode).toBe(401)
      expect(await openAi.body.json()).toMatchObject({
        error: { type: 'authentication_error', code: 'FLEET_AUTH_INVALID_API_KEY' },
      })
      const ollama = await postJson(client, `${coordinator.url}${OLLAMA}`, { model: MODEL }, { headers })
      expect(ollama.statusCode).toBe(401)
      expect(await ollama.body.json()).toEqual({ error: expect.any(String) })
    }
    const models = await client.request({ origin: coordinator.url, path: '/v1/models', method: 'GET' })
    expect(models.statusCode).toBe(401)
    await models.body.dump()
    expect(runtime.requests).toHaveLength(0)

    const allowed = await postJson(
      client,
      `${coordinator.url}${OPENAI}`,
      { model: MODEL },
      { headers: { authorization: 'Bearer key-two' } },
    )
    expect(allowed.statusCode).toBe(200)
    await allowed.body.dump()
  })
})

describe('errors in the log', () => {
  it('logs a request refused before reaching a node once, with its code', async () => {
    const coordinator = await startProxyHarness()
    const response = await postJson(createClient(), `${coordinator.url}${OPENAI}`, { model: MODEL })
    expect(response.statusCode).toBe(503)
    await response.body.dump()
    expect(coordinator.logs.filter((line) => line.code === 'FLEET_PROXY_NO_CANDIDATE')).toEqual([
      expect.objectContaining({ level: 30, statusCode: 503, reqId: response.headers['x-request-id'] }),
    ])
  })
})
