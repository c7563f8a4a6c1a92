/** The agent API's contract through `inject`: statuses, codes, headers and body shapes. */
import { FleetNodeList, RegistrationAccepted } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from './helpers/start-coordinator.js'
import { metrics, registration } from './helpers/wire-samples.js'

async function registered(env: Record<string, string> = {}) {
  const built = await buildTestApp({ env })
  const response = await built.app.inject({ method: 'POST', url: '/api/agents', payload: registration() })
  const { agentId } = RegistrationAccepted.parse(response.json())
  return { ...built, agentId }
}

describe('POST /api/agents', () => {
  it('registers a node: 201 with its id and the push interval', async () => {
    const { app } = await buildTestApp({ env: { PUSH_INTERVAL_MS: '1500' } })
    const response = await app.inject({ method: 'POST', url: '/api/agents', payload: registration() })
    expect(response.statusCode).toBe(201)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    const body = RegistrationAccepted.parse(response.json())
    expect(body.pushIntervalMs).toBe(1500)
  })

  it('registering again with the same hostname and runtime URL: 200 and the same id', async () => {
    const { app, agentId, registry } = await registered()
    const again = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: registration({ computeScore: 3000 }),
    })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({ agentId, pushIntervalMs: 2000 })
    expect(registry.get(agentId)?.computeScore).toBe(3000)
  })

  it('rejects an invalid body with 400 naming the field', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: registration({ maxConcurrency: 0 }),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      statusCode: 400,
      code: 'FLEET_INVALID_BODY',
      error: 'Bad Request',
      message: 'maxConcurrency: must be at least 1',
    })
  })

  it('rejects invalid JSON with 400 and a non-JSON content type with 415', async () => {
    const { app } = await buildTestApp()
    const broken = await app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: { 'content-type': 'application/json' },
      payload: '{"hostname":',
    })
    expect(broken.statusCode).toBe(400)
    expect(broken.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
    const xml = await app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: { 'content-type': 'application/xml' },
      payload: '<registration/>',
    })
    expect(xml.statusCode).toBe(415)
    expect(xml.json()).toMatchObject({ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
  })

  it('answers 503 FLEET_REGISTRY_FULL beyond MAX_NODES', async () => {
    const { app } = await buildTestApp({ env: { MAX_NODES: '2' } })
    for (const hostname of ['a', 'b']) {
      const ok = await app.inject({ method: 'POST', url: '/api/agents', payload: registration({ hostname }) })
      expect(ok.statusCode).toBe(201)
    }
    const full = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: registration({ hostname: 'c' }),
    })
    expect(full.statusCode).toBe(503)
    expect(full.json()).toMatchObject({ statusCode: 503, code: 'FLEET_REGISTRY_FULL' })
  })
})

describe('POST /api/agents/:id/metrics', () => {
  it('accepts a sample: 204 with no body', async () => {
    const { app, agentId, registry } = await registered()
    const response = await app.inject({
      method: 'POST',
      url: `/api/agents/${agentId}/metrics`,
      payload: metrics(agentId, { cpuUsage: 42 }),
    })
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')
    expect(registry.get(agentId)?.metrics?.cpuUsage).toBe(42)
  })

  it('answers 404 FLEET_AGENT_NOT_FOUND for an unknown id, so the agent registers again', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({
      method: 'POST',
      url: '/api/agents/unknown-1/metrics',
      payload: metrics('unknown-1'),
    })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({
      statusCode: 404,
      code: 'FLEET_AGENT_NOT_FOUND',
      error: 'Not Found',
    })
  })

  it('answers 400 FLEET_AGENT_ID_MISMATCH when the body names another agent', async () => {
    const { app, agentId } = await registered()
    const response = await app.inject({
      method: 'POST',
      url: `/api/agents/${agentId}/metrics`,
      payload: metrics('someone-else'),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'FLEET_AGENT_ID_MISMATCH' })
  })

  it('answers 400 naming the field for an invalid sample or id', async () => {
    const { app, agentId } = await registered()
    const bad = await app.inject({
      method: 'POST',
      url: `/api/agents/${agentId}/metrics`,
      payload: metrics(agentId, { cpuUsage: 140 }),
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'FLEET_INVALID_BODY', message: 'cpuUsage: must be at most 100' })
    const badId = await app.inject({
      method: 'POST',
      url: '/api/agents/a.b/metrics',
      payload: metrics('a.b'),
    })
    expect(badId.statusCode).toBe(400)
    expect(badId.json()).toMatchObject({ code: 'FLEET_INVALID_REQUEST' })
    expect(badId.json().message).toMatch(/^params\.id: /)
  })
})

describe('DELETE /api/agents/:id and GET /api/agents', () => {
  it('lists nodes in the wire format, drains on DELETE (204), then 404', async () => {
    const { app, agentId } = await registered()
    await app.inject({ method: 'POST', url: `/api/agents/${agentId}/metrics`, payload: metrics(agentId) })
    const list = await app.inject({ method: 'GET', url: '/api/agents' })
    expect(list.statusCode).toBe(200)
    const { nodes } = FleetNodeList.parse(list.json())
    expect(nodes).toHaveLength(1)
    expect(nodes[0]).toMatchObject({ id: agentId, state: 'online', inFlight: 0, computeScore: 2039 })

    const removed = await app.inject({ method: 'DELETE', url: `/api/agents/${agentId}` })
    expect(removed.statusCode).toBe(204)
    expect(
      FleetNodeList.parse((await app.inject({ method: 'GET', url: '/api/agents' })).json()).nodes,
    ).toEqual([])
    const again = await app.inject({ method: 'DELETE', url: `/api/agents/${agentId}` })
    expect(again.statusCode).toBe(404)
    expect(again.json()).toMatchObject({ code: 'FLEET_AGENT_NOT_FOUND' })
  })

  it('shows a draining node with requests in flight until they finish', async () => {
    const { app, agentId, registry } = await registered()
    const lease = registry.acquire(agentId)
    expect((await app.inject({ method: 'DELETE', url: `/api/agents/${agentId}` })).statusCode).toBe(204)
    const draining = FleetNodeList.parse((await app.inject({ method: 'GET', url: '/api/agents' })).json())
    expect(draining.nodes.map((node) => [node.state, node.inFlight])).toEqual([['draining', 1]])
    lease.release()
    expect(
      FleetNodeList.parse((await app.inject({ method: 'GET', url: '/api/agents' })).json()).nodes,
    ).toEqual([])
  })
})

describe('health, readiness, request ids, errors', () => {
  it('/healthz is 200; /readyz is 503 until a node is online and registrations settled (two push intervals), then 200, and 503 once it goes stale', async () => {
    const { app, clock, config } = await buildTestApp()
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const before = await app.inject({ method: 'GET', url: '/readyz' })
    expect(before.statusCode).toBe(503)
    expect(before.json()).toEqual({ status: 'not-ready', reason: 'no-node-online', online: 0 })

    await app.inject({ method: 'POST', url: '/api/agents', payload: registration() })
    // Just registered: more agents may be on their way after a restart.
    const settling = await app.inject({ method: 'GET', url: '/readyz' })
    expect(settling.statusCode).toBe(503)
    expect(settling.json()).toEqual({ status: 'not-ready', reason: 'waiting-for-fleet', online: 1 })
    clock.advance(2 * config.pushIntervalMs)
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', reason: 'registry-settled', online: 1 })
    // Settled once is settled: another node arriving later does not make it unready.
    await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: registration({ hostname: 'late-host' }),
    })
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)

    clock.advance(config.agentTtlMs + 1)
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503)
    const list = FleetNodeList.parse((await app.inject({ method: 'GET', url: '/api/agents' })).json())
    expect(list.nodes[0]?.state).toBe('stale')
  })

  it('echoes the client request id and generates one otherwise', async () => {
    const { app } = await buildTestApp()
    const given = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-42' } })
    expect(given.headers['x-request-id']).toBe('req-42')
    const generated = await app.inject({ method: 'GET', url: '/nowhere' })
    expect(generated.statusCode).toBe(404)
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('hides unexpected errors behind a generic 500 with the request id', async () => {
    const { app } = await buildTestApp()
    app.get('/boom', async () => {
      throw new Error('secret detail from deep inside')
    })
    const response = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-7' } })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      statusCode: 500,
      code: 'FLEET_INTERNAL',
      error: 'Internal Server Error',
      message: 'Internal error (request id req-7)',
    })
  })

  it('/openapi.json describes the agent API with the wire schemas', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const doc = response.json() as {
      openapi: string
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/agents/',
        '/api/agents/{id}/metrics',
        '/api/agents/{id}',
        '/healthz',
        '/readyz',
      ]),
    )
    const body = doc.paths['/api/agents/{id}/metrics']?.post?.requestBody?.content['application/json']
      ?.schema as {
      required: string[]
      properties: Record<string, { maximum?: number }>
    }
    expect(body.required).toContain('cpuUsage')
    expect(body.properties.cpuUsage?.maximum).toBe(100)
  })
})
