/** The agent API over real sockets: a listening coordinator on port 0 and undici as the agent. */
import { FleetNodeList, RegistrationAccepted } from '@llm-fleet/types'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { startCoordinator } from './helpers/start-coordinator.js'
import { metrics, registration } from './helpers/wire-samples.js'

const TOKEN = 'test-agent-token-0123456789'

/** POSTs JSON the way an agent does, returning the status and the parsed (or empty) body. */
async function post(
  coordinator: Awaited<ReturnType<typeof startCoordinator>>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await request(`${coordinator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: coordinator.dispatcher,
  })
  const text = await response.body.text()
  return {
    status: response.statusCode,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  }
}

describe('agent API on a listening server', () => {
  it('register, re-register, push, list, drain, readiness', async () => {
    const coordinator = await startCoordinator()
    const ready = () =>
      request(`${coordinator.url}/readyz`, { dispatcher: coordinator.dispatcher }).then(async (response) => {
        await response.body.dump()
        return response.statusCode
      })
    expect(await ready()).toBe(503)

    const first = await post(coordinator, '/api/agents', registration())
    expect(first.status).toBe(201)
    const { agentId } = RegistrationAccepted.parse(first.body)
    const second = await post(coordinator, '/api/agents', registration())
    expect(second.status).toBe(200)
    expect(RegistrationAccepted.parse(second.body).agentId).toBe(agentId)
    // Ready once registrations have settled for two push intervals.
    expect(await ready()).toBe(503)
    coordinator.clock.advance(2 * coordinator.config.pushIntervalMs)
    expect(await ready()).toBe(200)

    expect((await post(coordinator, `/api/agents/${agentId}/metrics`, metrics(agentId))).status).toBe(204)
    expect((await post(coordinator, '/api/agents/nobody/metrics', metrics('nobody'))).status).toBe(404)
    const invalid = await post(
      coordinator,
      `/api/agents/${agentId}/metrics`,
      metrics(agentId, { memoryUsage: -1 }),
    )
    expect(invalid).toMatchObject({
      status: 400,
      body: { code: 'FLEET_INVALID_BODY', message: 'memoryUsage: must be at least 0' },
    })

    const list = await request(`${coordinator.url}/api/agents`, { dispatcher: coordinator.dispatcher })
    const { nodes } = FleetNodeList.parse(await list.body.json())
    expect(nodes.map((node) => [node.id, node.state, node.metrics?.cpuUsage])).toEqual([
      [agentId, 'online', 12.5],
    ])

    const drained = await request(`${coordinator.url}/api/agents/${agentId}`, {
      method: 'DELETE',
      dispatcher: coordinator.dispatcher,
    })
    await drained.body.dump()
    expect(drained.statusCode).toBe(204)
    expect(await ready()).toBe(503)
  })

  it('turns a silent node stale after the TTL and back online on its next push (manual clock, no sleeping)', async () => {
    const coordinator = await startCoordinator({ env: { PUSH_INTERVAL_MS: '1000' } })
    const { agentId } = RegistrationAccepted.parse(
      (await post(coordinator, '/api/agents', registration())).body,
    )
    coordinator.clock.advance(3_001)
    const states = async () => {
      const response = await request(`${coordinator.url}/api/agents`, { dispatcher: coordinator.dispatcher })
      return FleetNodeList.parse(await response.body.json()).nodes.map((node) => node.state)
    }
    expect(await states()).toEqual(['stale'])
    expect((await post(coordinator, `/api/agents/${agentId}/metrics`, metrics(agentId))).status).toBe(204)
    expect(await states()).toEqual(['online'])
  })

  it('answers 413 for a body over BODY_LIMIT_BYTES', async () => {
    const coordinator = await startCoordinator({ env: { BODY_LIMIT_BYTES: '4096' } })
    const { agentId } = RegistrationAccepted.parse(
      (await post(coordinator, '/api/agents', registration())).body,
    )
    const huge = metrics(agentId, {
      runtime: {
        up: true,
        models: Array.from({ length: 400 }, (_, i) => `model-${i}:latest`),
        loadedModels: [],
      },
    })
    const response = await post(coordinator, `/api/agents/${agentId}/metrics`, huge)
    expect(response).toMatchObject({
      status: 413,
      body: {
        statusCode: 413,
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
        message: "request body is over the coordinator's limit of 4096 bytes (BODY_LIMIT_BYTES)",
      },
    })
  })

  it('answers 400 for a body that is not UTF-8, and still refuses a __proto__ key', async () => {
    const coordinator = await startCoordinator()
    const send = async (body: Buffer) => {
      const response = await request(`${coordinator.url}/api/agents`, {
        method: 'POST',
        dispatcher: coordinator.dispatcher,
        headers: { 'content-type': 'application/json' },
        body,
      })
      return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> }
    }
    // The hostname's bytes hold 0xff: read leniently, it was stored as "ho\uFFFDst".
    const json = JSON.stringify(registration({ hostname: 'hoXst' }))
    const bytes = Buffer.from(json, 'utf8')
    bytes[bytes.indexOf('X')] = 0xff
    expect(await send(bytes)).toMatchObject({
      status: 400,
      body: { code: 'FLEET_INVALID_BODY', message: '(root): is not valid UTF-8' },
    })
    const poisoned = await send(Buffer.from(`{"__proto__":{"x":1},${json.slice(1)}`))
    expect(poisoned).toMatchObject({ status: 400, body: { code: 'FST_ERR_CTP_INVALID_JSON_BODY' } })
    expect(await send(Buffer.from(json))).toMatchObject({ status: 201 })
  })

  it('answers 400 naming the GPU for a push that lists one index twice, and keeps the last good push', async () => {
    const coordinator = await startCoordinator()
    const { agentId } = RegistrationAccepted.parse(
      (await post(coordinator, '/api/agents', registration())).body,
    )
    expect((await post(coordinator, `/api/agents/${agentId}/metrics`, metrics(agentId))).status).toBe(204)
    const [gpu] = metrics(agentId).gpus
    if (gpu === undefined) throw new Error('the sample has a GPU')
    // Two series of gpu="0" in /metrics, of which Prometheus would keep one.
    const twice = metrics(agentId, { cpuUsage: 99, gpus: [gpu, { ...gpu, vramUsedMiB: 1 }] })
    expect(await post(coordinator, `/api/agents/${agentId}/metrics`, twice)).toMatchObject({
      status: 400,
      body: { code: 'FLEET_INVALID_BODY', message: 'gpus[1].index: repeats GPU index 0' },
    })
    const scrape = await request(`${coordinator.url}/metrics`, { dispatcher: coordinator.dispatcher })
    const text = await scrape.body.text()
    expect(text.match(/^llm_fleet_gpu_memory_used_bytes\{.*$/gm)).toEqual([
      `llm_fleet_gpu_memory_used_bytes{node="gpu-a100-01",gpu="0"} ${40_000 * 1024 * 1024}`,
    ])
    expect(text).toMatch(/^llm_fleet_node_cpu_ratio\{node="gpu-a100-01"\} 0\.125$/m)
  })

  it('answers 400 for an id mismatch and 503 once the registry is full', async () => {
    const coordinator = await startCoordinator({ env: { MAX_NODES: '1' } })
    const { agentId } = RegistrationAccepted.parse(
      (await post(coordinator, '/api/agents', registration())).body,
    )
    const mismatch = await post(coordinator, `/api/agents/${agentId}/metrics`, metrics('other-agent'))
    expect(mismatch).toMatchObject({ status: 400, body: { code: 'FLEET_AGENT_ID_MISMATCH' } })
    const full = await post(coordinator, '/api/agents', registration({ hostname: 'gpu-2' }))
    expect(full).toMatchObject({ status: 503, body: { code: 'FLEET_REGISTRY_FULL' } })
  })

  it('echoes X-Request-Id', async () => {
    const coordinator = await startCoordinator()
    const response = await post(coordinator, '/api/agents', registration(), { 'x-request-id': 'agent-req-1' })
    expect(response.headers['x-request-id']).toBe('agent-req-1')
  })
})

describe('agent token', () => {
  it('answers 401 without the bearer token, with a wrong one, and serves the right one', async () => {
    const coordinator = await startCoordinator({ env: { AGENT_TOKEN: TOKEN } })
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ]) {
      const response = await post(coordinator, '/api/agents', registration(), headers)
      expect(response, JSON.stringify(headers)).toMatchObject({
        status: 401,
        body: { statusCode: 401, code: 'FLEET_AUTH_INVALID_TOKEN' },
      })
    }
    const ok = await post(coordinator, '/api/agents', registration(), { authorization: `Bearer ${TOKEN}` })
    expect(ok.status).toBe(201)
    const { agentId } = RegistrationAccepted.parse(ok.body)
    const push = await post(coordinator, `/api/agents/${agentId}/metrics`, metrics(agentId), {})
    expect(push.status).toBe(401)
    const authorized = await post(coordinator, `/api/agents/${agentId}/metrics`, metrics(agentId), {
      authorization: `Bearer ${TOKEN}`,
    })
    expect(authorized.status).toBe(204)
    const list = await request(`${coordinator.url}/api/agents`, { dispatcher: coordinator.dispatcher })
    await list.body.dump()
    expect(list.statusCode).toBe(401)
  })

  it('rejects an unauthenticated oversized body with 401 before reading it', async () => {
    const coordinator = await startCoordinator({ env: { AGENT_TOKEN: TOKEN, BODY_LIMIT_BYTES: '4096' } })
    const response = await post(coordinator, '/api/agents', `{"pad":"${'x'.repeat(64 * 1024)}"}`)
    expect(response.status).toBe(401)
  })

  it('leaves health endpoints open', async () => {
    const coordinator = await startCoordinator({ env: { AGENT_TOKEN: TOKEN } })
    const response = await request(`${coordinator.url}/healthz`, { dispatcher: coordinator.dispatcher })
    await response.body.dump()
    expect(response.statusCode).toBe(200)
  })
})
