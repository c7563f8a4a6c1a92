/**
 * Runtime faults end to end: a real coordinator, mock runtimes registered through the agent API, and a
 * real client. Whatever the runtime does (refuse, die mid-stream, stall, talk garbage), the client gets an
 * API-shaped error or a stream that ends, never a hang; no in-flight count is left behind; a node that
 * keeps failing cools down, and comes back once the cool-down is over.
 *
 * A stream that already started cannot change its status: when the runtime breaks off mid-stream, the
 * coordinator ends the client's response without its final chunk, so the client's HTTP library reports
 * an incomplete response (undici "terminated", the OpenAI SDK an APIConnectionError) rather than taking
 * a truncated answer for a complete one.
 */
import type { RuntimeKind } from '@llm-fleet/mock-runtime'
import { type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'
import { type Fleet, startFleet } from './helpers/start-fleet.js'

const COOL_DOWN_MS = 60_000
const BODY_TIMEOUT_MS = 200
const FAILURES_TO_COOL_DOWN = 3

interface Api {
  readonly kind: RuntimeKind
  readonly path: string
  body(stream: boolean): object
  /** The error message of an API-shaped error body. */
  errorOf(body: unknown): unknown
}

const OPENAI: Api = {
  kind: 'openai',
  path: '/v1/chat/completions',
  body: (stream) => ({
    model: MODEL,
    messages: [{ role: 'user', content: 'hello' }],
    max_tokens: 20,
    stream,
  }),
  errorOf: (body) => (body as { error?: { message?: unknown } }).error?.message,
}
const OLLAMA: Api = {
  kind: 'ollama',
  path: '/api/chat',
  body: (stream) => ({
    model: MODEL,
    messages: [{ role: 'user', content: 'hello' }],
    options: { num_predict: 20 },
    stream,
  }),
  errorOf: (body) => (body as { error?: unknown }).error,
}

function send(fleet: Fleet, api: Api, stream: boolean): Promise<Dispatcher.ResponseData> {
  return request(`${fleet.url}${api.path}`, {
    method: 'POST',
    dispatcher: fleet.client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(api.body(stream)),
  })
}

/** Reads a body to its end: the text, and the error that ended it early (if any). */
async function drain(body: Dispatcher.ResponseData['body']): Promise<{ text: string; error: unknown }> {
  let text = ''
  try {
    for await (const chunk of body) text += (chunk as Buffer).toString('utf8')
    return { text, error: null }
  } catch (error) {
    return { text, error }
  }
}

async function startOneNodeFleet(api: Api) {
  const fleet = await startFleet({
    COOL_DOWN_MS: String(COOL_DOWN_MS),
    UPSTREAM_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
    MAX_RETRIES: '0',
  })
  const { runtime, nodeId } = await fleet.addRuntime({ kind: api.kind })
  return { fleet, runtime, nodeId }
}

async function expectCoolingDown(fleet: Fleet, nodeId: string, api: Api): Promise<void> {
  const node = (await fleet.nodes()).find((candidate) => candidate.id === nodeId)
  expect(node?.coolingDownUntil).toEqual(expect.any(String))
  const refused = await send(fleet, api, false)
  expect(refused.statusCode).toBe(503)
  expect(refused.headers['retry-after']).toBeDefined()
  expect(api.errorOf(await refused.body.json())).toMatch(/cooling down/)
  expect(fleet.logs.some((line) => line.msg === 'node cooling down after repeated upstream failures')).toBe(
    true,
  )
}

/** Clears the fault, moves the clock past the cool-down, and expects a complete answer from the node. */
async function expectCoolDownLifts(fleet: Fleet, api: Api): Promise<void> {
  fleet.advanceClock(COOL_DOWN_MS + 1)
  const served = await send(fleet, api, true)
  expect(served.statusCode).toBe(200)
  const { error } = await drain(served.body)
  expect(error).toBeNull()
  await nothingInFlight(fleet)
}

/** Waits until no request holds a slot on any node. */
function nothingInFlight(fleet: Fleet): Promise<void> {
  return waitFor(() => totalInFlight(fleet.registry) === 0, 'no request in flight')
}

/** Sends `count` streams that each start (200, some bytes) and then end with an error, not a hang. */
async function expectStreamsCutShort(fleet: Fleet, api: Api, count: number): Promise<void> {
  for (let attempt = 0; attempt < count; attempt++) {
    const response = await send(fleet, api, true)
    expect(response.statusCode).toBe(200)
    const { text, error } = await drain(response.body)
    expect(text.length).toBeGreaterThan(0)
    expect(error).toBeInstanceOf(Error)
    await nothingInFlight(fleet)
  }
}

describe.each([OPENAI, OLLAMA])('a $kind runtime that fails', (api) => {
  it('refuses connections: 502 in the API format, then cool-down with 503 + Retry-After, then back', async () => {
    const { fleet, runtime, nodeId } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'refuse' })
    for (let attempt = 0; attempt < FAILURES_TO_COOL_DOWN; attempt++) {
      const response = await send(fleet, api, true)
      expect(response.statusCode).toBe(502)
      expect(api.errorOf(await response.body.json())).toMatch(/unreachable/)
      expect(totalInFlight(fleet.registry)).toBe(0)
    }
    await expectCoolingDown(fleet, nodeId, api)
    await runtime.setFault({ mode: 'ok' })
    await expectCoolDownLifts(fleet, api)
  })

  it('answers 503: passed through (no other node), then cool-down, then back', async () => {
    const { fleet, runtime, nodeId } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: '503' })
    for (let attempt = 0; attempt < FAILURES_TO_COOL_DOWN; attempt++) {
      const response = await send(fleet, api, true)
      expect(response.statusCode).toBe(503)
      await response.body.dump()
      await nothingInFlight(fleet)
    }
    await expectCoolingDown(fleet, nodeId, api)
    await runtime.setFault({ mode: 'ok' })
    await expectCoolDownLifts(fleet, api)
  })

  it('breaks off after its headers, before any chunk: 502 in the API format (JSON, not SSE)', async () => {
    const { fleet, runtime } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'die-mid-stream', afterChunks: 0, count: 1 })
    const response = await send(fleet, api, true)
    expect(response.statusCode).toBe(502)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(api.errorOf(await response.body.json())).toMatch(/broke off/)
    await nothingInFlight(fleet)
  })

  it('dies mid-stream: the client gets the first chunks, then an incomplete response; cool-down after 3', async () => {
    const { fleet, runtime, nodeId } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'die-mid-stream', afterChunks: 2 })
    await expectStreamsCutShort(fleet, api, FAILURES_TO_COOL_DOWN)
    await expectCoolingDown(fleet, nodeId, api)
    await runtime.setFault({ mode: 'ok' })
    await expectCoolDownLifts(fleet, api)
  })

  it('stalls past the idle timeout: the stream ends instead of hanging; cool-down after 3', async () => {
    const { fleet, runtime, nodeId } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'stall', afterChunks: 2 })
    await expectStreamsCutShort(fleet, api, FAILURES_TO_COOL_DOWN)
    await expectCoolingDown(fleet, nodeId, api)
    // The runtime saw its request go away (the coordinator closed the upstream connection).
    await waitFor(() => runtime.stats().active === 0, 'the runtime freed its slots')
    await runtime.setFault({ mode: 'ok' })
    await expectCoolDownLifts(fleet, api)
  })

  it('stalls a non-streaming answer after its headers: 504 in the API format, not a hang', async () => {
    const { fleet, runtime } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'stall', afterChunks: 0, count: 1 })
    const response = await send(fleet, api, false)
    expect(response.statusCode).toBe(504)
    expect(api.errorOf(await response.body.json())).toMatch(/went silent/)
    await nothingInFlight(fleet)
  })

  it('returns garbage: passed through as sent, the response ends, nothing left in flight', async () => {
    const { fleet, runtime } = await startOneNodeFleet(api)
    await runtime.setFault({ mode: 'garbage' })
    for (const stream of [false, true]) {
      const response = await send(fleet, api, stream)
      expect(response.statusCode).toBe(200)
      const { text, error } = await drain(response.body)
      expect(error).toBeNull()
      expect(() => JSON.parse(text)).toThrow()
      await nothingInFlight(fleet)
    }
  })
})

describe('a failing node among healthy ones', () => {
  it('refused connections fail over to a healthy node, and the failing one cools down', async () => {
    const fleet = await startFleet({ COOL_DOWN_MS: String(COOL_DOWN_MS), LOAD_BALANCER_MODE: 'spec' })
    const broken = await fleet.addRuntime({ computeScore: 900 })
    await fleet.addRuntime({ computeScore: 100 })
    await broken.runtime.setFault({ mode: 'refuse' })
    for (let attempt = 0; attempt < FAILURES_TO_COOL_DOWN + 2; attempt++) {
      const response = await send(fleet, OLLAMA, true)
      expect(response.statusCode).toBe(200)
      expect((await drain(response.body)).error).toBeNull()
    }
    const node = (await fleet.nodes()).find((candidate) => candidate.id === broken.nodeId)
    expect(node?.coolingDownUntil).toEqual(expect.any(String))
    expect(totalInFlight(fleet.registry)).toBe(0)
  })
})
