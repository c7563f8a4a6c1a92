import { describe, expect, it } from 'vitest'
import { refusedUrl, startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'

const CHAT = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] }

describe('failover', () => {
  it('tries the next node when the chosen one refuses the connection', async () => {
    const coordinator = await startProxyHarness()
    const fallback = await startFakeRuntime({ name: 'fallback' })
    coordinator.addNode(await refusedUrl(), { hostname: 'down', computeScore: 200 })
    coordinator.addNode(fallback.url, { hostname: 'up', computeScore: 100 })

    const response = await postJson(createClient(), `${coordinator.url}/v1/chat/completions`, CHAT)

    expect(response.statusCode).toBe(200)
    expect(response.headers['x-fleet-node']).toBe('up')
    expect(await response.body.json()).toMatchObject({ model: 'fallback' })
    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({ node: 'up', status: 200, retries: 1 })
    expect(totalInFlight(coordinator.registry)).toBe(0)
  })

  it('tries the next node when the chosen one answers 503 before any byte reached the client', async () => {
    const coordinator = await startProxyHarness()
    const overloaded = await startFakeRuntime({
      name: 'overloaded',
      mode: { kind: 'status', statusCode: 503 },
    })
    const fallback = await startFakeRuntime({ name: 'fallback' })
    coordinator.addNode(overloaded.url, { hostname: 'overloaded', computeScore: 200 })
    coordinator.addNode(fallback.url, { hostname: 'fallback', computeScore: 100 })

    const response = await postJson(createClient(), `${coordinator.url}/api/chat`, { ...CHAT, stream: false })

    expect(response.statusCode).toBe(200)
    expect(response.headers['x-fleet-node']).toBe('fallback')
    await response.body.dump()
    expect(overloaded.requests).toHaveLength(1)
    expect(fallback.requests).toHaveLength(1)
  })

  it('tries the next node when the chosen one has no such route, and passes the 404 on when none has', async () => {
    // An older runtime without the route answers its framework's 404 (gin's "404 page not found"),
    // which names no model: another node may serve it, and the first node is not unwell for it.
    const coordinator = await startProxyHarness({ coolDownMs: 600_000 })
    const older = await startFakeRuntime({
      name: 'older',
      mode: { kind: 'status', statusCode: 404, message: '404 page not found' },
    })
    const newer = await startFakeRuntime({ name: 'newer' })
    const olderId = coordinator.addNode(older.url, { hostname: 'older', computeScore: 200 })
    coordinator.addNode(newer.url, { hostname: 'newer', computeScore: 100 })

    // Three in a row, as many failures as start a cool-down: none counts.
    for (let i = 0; i < 3; i++) {
      const response = await postJson(createClient(), `${coordinator.url}/v1/responses`, {
        model: MODEL,
        input: 'hi',
      })
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-fleet-node']).toBe('newer')
      await response.body.dump()
    }
    expect(older.requests).toHaveLength(3)
    expect(coordinator.registry.get(olderId)?.coolingDownUntil).toBeNull()

    newer.setMode({ kind: 'status', statusCode: 404, message: 'Not Found' })
    const nowhere = await postJson(createClient(), `${coordinator.url}/v1/responses`, {
      model: MODEL,
      input: 'hi',
    })
    expect(nowhere.statusCode).toBe(404)
    expect(await nowhere.body.json()).toEqual({ error: 'Not Found' })
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
  })

  it('passes the last 503 through when no other node is left', async () => {
    const coordinator = await startProxyHarness()
    const first = await startFakeRuntime({ name: 'first', mode: { kind: 'status', statusCode: 503 } })
    const second = await startFakeRuntime({ name: 'second', mode: { kind: 'status', statusCode: 503 } })
    coordinator.addNode(first.url, { computeScore: 200 })
    coordinator.addNode(second.url, { computeScore: 100 })

    const response = await postJson(createClient(), `${coordinator.url}/api/chat`, CHAT)

    expect(response.statusCode).toBe(503)
    expect(await response.body.json()).toEqual({ error: 'second says 503' })
    expect(first.requests).toHaveLength(1)
    expect(second.requests).toHaveLength(1)
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
  })

  it('stops after MAX_RETRIES other nodes and answers 502 in the API format', async () => {
    const coordinator = await startProxyHarness({ maxRetries: 1 })
    for (let index = 0; index < 3; index++) coordinator.addNode(await refusedUrl())

    const response = await postJson(createClient(), `${coordinator.url}/v1/chat/completions`, CHAT)

    expect(response.statusCode).toBe(502)
    expect(await response.body.json()).toMatchObject({
      error: { code: 'FLEET_UPSTREAM_UNREACHABLE', type: 'server_error' },
    })
    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({ status: 502, retries: 1 })
    expect(totalInFlight(coordinator.registry)).toBe(0)
  })

  it('never retries once bytes reached the client', async () => {
    const coordinator = await startProxyHarness()
    const dying = await startFakeRuntime({ name: 'dying', mode: { kind: 'die-mid-stream' } })
    const healthy = await startFakeRuntime({ name: 'healthy' })
    coordinator.addNode(dying.url, { hostname: 'dying', computeScore: 200 })
    coordinator.addNode(healthy.url, { hostname: 'healthy', computeScore: 100 })

    const response = await postJson(createClient(), `${coordinator.url}/v1/chat/completions`, {
      ...CHAT,
      stream: true,
    })

    expect(response.statusCode).toBe(200)
    expect(response.headers['x-fleet-node']).toBe('dying')
    await expect(response.body.text()).rejects.toThrow()
    expect(dying.requests).toHaveLength(1)
    expect(healthy.requests).toHaveLength(0)
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
  })

  it('puts a node that failed 3 times in a row into cool-down, and the log says so', async () => {
    const coordinator = await startProxyHarness()
    const downId = coordinator.addNode(await refusedUrl(), { hostname: 'down', computeScore: 200 })
    const healthy = await startFakeRuntime()
    coordinator.addNode(healthy.url, { hostname: 'up', computeScore: 100 })
    const client = createClient()

    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, CHAT)
      expect(response.statusCode).toBe(200)
      await response.body.dump()
    }
    const coolDownLines = coordinator.logs.filter(
      (line) => line.msg === 'node cooling down after repeated upstream failures',
    )
    expect(coolDownLines).toHaveLength(1)
    expect(coolDownLines[0]).toMatchObject({ nodeId: downId, node: 'down', level: 40 })

    const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, CHAT)
    await response.body.dump()
    await waitFor(() => proxiedLines(coordinator).length === 4)
    // The node in cool-down is no longer tried first: no failover needed.
    expect(proxiedLines(coordinator)[3]).toMatchObject({ node: 'up', retries: 0 })
  })

  it('answers 504 when no first byte arrives in time, and counts it as a failure', async () => {
    const coordinator = await startProxyHarness({ headersTimeoutMs: 100 })
    const hanging = await startFakeRuntime({ mode: { kind: 'hang' } })
    coordinator.addNode(hanging.url)

    const response = await postJson(createClient(), `${coordinator.url}/api/generate`, { model: MODEL })

    expect(response.statusCode).toBe(504)
    expect(await response.body.json()).toEqual({ error: expect.any(String) })
    expect(totalInFlight(coordinator.registry)).toBe(0)
  })
})
