/**
 * QUEUE_WHEN_BUSY end to end: a real coordinator, nodes registered through the agent API, gated fake
 * runtimes that hold a slot until the test lets go. Requests wait in arrival order instead of going to
 * the busy node; past QUEUE_MAX or QUEUE_TIMEOUT_MS they get 503 with Retry-After in the API's format;
 * a client that leaves is dropped from the queue; one model's backlog does not block another model.
 */
import { once } from 'node:events'
import { type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { type FakeRuntime, startFakeRuntime } from './helpers/fake-runtime.js'
import { MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'
import { type Fleet, startFleet } from './helpers/start-fleet.js'
import { metrics } from './helpers/wire-samples.js'

function send(
  fleet: Fleet,
  tag: string,
  options: { model?: string; path?: string; signal?: AbortSignal } = {},
): Promise<Dispatcher.ResponseData> {
  return request(`${fleet.url}${options.path ?? '/v1/chat/completions'}`, {
    method: 'POST',
    dispatcher: fleet.client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: options.model ?? MODEL,
      messages: [{ role: 'user', content: tag }],
      stream: false,
    }),
    signal: options.signal ?? null,
  })
}

const queuedCount = (fleet: Fleet) => fleet.logs.filter((line) => line.msg === 'request queued').length

/** Which tagged requests reached the runtime, in order. */
function tagsSeen(runtime: FakeRuntime): string[] {
  return runtime.requests.map((seen) => {
    const body = JSON.parse(seen.body) as { messages: { content: string }[] }
    return body.messages[0]?.content ?? ''
  })
}

/** A node with one slot whose runtime holds its first answer (tag `hold`) until `release()`. */
async function oneBusySlot(env: Record<string, string>, model = MODEL) {
  const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true', ...env })
  return { fleet, ...(await busyNode(fleet, model)) }
}

async function busyNode(fleet: Fleet, model: string) {
  const runtime = await startFakeRuntime({ name: `runtime-${model}`, mode: { kind: 'gated' } })
  await fleet.registerRuntime(runtime.url, { maxConcurrency: 1, models: [model], hostname: `host-${model}` })
  const firstChunk = once(runtime.events, 'first-chunk')
  const holding = await send(fleet, 'hold', { model })
  await firstChunk
  runtime.setMode({ kind: 'ok' })
  return { runtime, holding }
}

describe.each(['spec', 'fastest-finish'])('QUEUE_WHEN_BUSY in %s mode', (mode) => {
  it('holds requests while the only slot is taken and serves them in arrival order', async () => {
    const { fleet, runtime, holding } = await oneBusySlot({ LOAD_BALANCER_MODE: mode })
    const waiting: Promise<Dispatcher.ResponseData>[] = []
    for (const tag of ['first', 'second', 'third']) {
      waiting.push(send(fleet, tag))
      await waitFor(() => queuedCount(fleet) === waiting.length, `${tag} queued`)
    }
    // Nothing went to the busy node meanwhile.
    expect(tagsSeen(runtime)).toEqual(['hold'])

    runtime.release()
    await holding.body.text()
    for (const response of await Promise.all(waiting)) {
      expect(response.statusCode).toBe(200)
      await response.body.dump()
    }
    expect(tagsSeen(runtime)).toEqual(['hold', 'first', 'second', 'third'])
    await waitFor(() => totalInFlight(fleet.registry) === 0, 'no request in flight')
  })
})

describe('QUEUE_WHEN_BUSY limits', () => {
  it('past QUEUE_MAX: 503 with Retry-After in the OpenAI format, at once', async () => {
    const { fleet, runtime, holding } = await oneBusySlot({ QUEUE_MAX: '2' })
    // One at a time: two requests sent together on two connections may reach the server in either order.
    const waiting: Promise<Dispatcher.ResponseData>[] = []
    for (const tag of ['first', 'second']) {
      waiting.push(send(fleet, tag))
      await waitFor(() => queuedCount(fleet) === waiting.length, `${tag} queued`)
    }
    const refused = await send(fleet, 'third')
    expect(refused.statusCode).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(await refused.body.json()).toMatchObject({
      error: { code: 'FLEET_PROXY_QUEUE_FULL', type: 'server_error' },
    })

    runtime.release()
    await holding.body.text()
    for (const response of await Promise.all(waiting)) expect(response.statusCode).toBe(200)
    expect(tagsSeen(runtime)).toEqual(['hold', 'first', 'second'])
  })

  it('past QUEUE_TIMEOUT_MS: 503 with Retry-After in the Ollama format', async () => {
    const { fleet, runtime, holding } = await oneBusySlot({ QUEUE_TIMEOUT_MS: '100' })
    const timedOut = await send(fleet, 'late', { path: '/api/chat' })
    expect(timedOut.statusCode).toBe(503)
    expect(timedOut.headers['retry-after']).toBeDefined()
    const body = (await timedOut.body.json()) as { error: unknown }
    expect(body.error).toEqual(expect.stringMatching(/stayed busy/))
    runtime.release()
    await holding.body.text()
    expect(tagsSeen(runtime)).toEqual(['hold'])
    await waitFor(() => totalInFlight(fleet.registry) === 0, 'no request in flight')
  })

  it('a waiting client that disconnects leaves the queue; the slot goes to the next one', async () => {
    const { fleet, runtime, holding } = await oneBusySlot({})
    const leaving = new AbortController()
    const left = send(fleet, 'leaves', { signal: leaving.signal }).catch((error: unknown) => error)
    await waitFor(() => queuedCount(fleet) === 1, 'the leaving request queued')
    leaving.abort()
    await left
    await waitFor(
      () =>
        fleet.logs.some((line) => line.msg === 'queued request got no slot' && line.outcome === 'aborted'),
      'the queue dropped the request that left',
    )
    const staying = send(fleet, 'stays')
    await waitFor(() => queuedCount(fleet) === 2, 'the staying request queued')

    runtime.release()
    await holding.body.text()
    expect((await staying).statusCode).toBe(200)
    expect(tagsSeen(runtime)).toEqual(['hold', 'stays'])
  })

  it('a backlog for one model does not hold up another model whose node frees first', async () => {
    const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true' })
    const modelA = await busyNode(fleet, 'model-a')
    const modelB = await busyNode(fleet, 'model-b')
    const forA = send(fleet, 'for-a', { model: 'model-a' })
    await waitFor(() => queuedCount(fleet) === 1, 'the model-a request queued')
    const forB = send(fleet, 'for-b', { model: 'model-b' })
    await waitFor(() => queuedCount(fleet) === 2, 'the model-b request queued')

    modelB.runtime.release()
    await modelB.holding.body.text()
    expect((await forB).statusCode).toBe(200)
    expect(tagsSeen(modelA.runtime)).toEqual(['hold'])

    modelA.runtime.release()
    await modelA.holding.body.text()
    expect((await forA).statusCode).toBe(200)
    expect(tagsSeen(modelA.runtime)).toEqual(['hold', 'for-a'])
  })

  it('a node that registers while requests wait serves them first, not a request that arrives later', async () => {
    const { fleet, runtime: first, holding } = await oneBusySlot({})
    const waiting = send(fleet, 'waited')
    await waitFor(() => queuedCount(fleet) === 1, 'the first request queued')
    // Nothing frees a slot: the registration itself hands the new node's capacity to the waiter.
    const second = await startFakeRuntime({ name: 'second', mode: { kind: 'gated' } })
    // An OpenAI-style runtime serves the model it started with: warm, so the default balancer sees the
    // new capacity as sooner than queueing on the warm busy node (a cold Ollama node might not be).
    await fleet.registerRuntime(second.url, { maxConcurrency: 1, hostname: 'second-host', kind: 'openai' })
    const reachedSecond = once(second.events, 'first-chunk')
    const later = send(fleet, 'arrived-later')
    await reachedSecond
    second.setMode({ kind: 'ok' })
    await waitFor(() => queuedCount(fleet) === 2, 'the later request queued behind')
    expect(tagsSeen(second)).toEqual(['waited'])

    second.release()
    expect((await waiting).statusCode).toBe(200)
    expect((await later).statusCode).toBe(200)
    expect(tagsSeen(second)).toEqual(['waited', 'arrived-later'])
    first.release()
    await holding.body.text()
    await waitFor(() => totalInFlight(fleet.registry) === 0, 'no request in flight')
  })

  it('without QUEUE_WHEN_BUSY a request goes to the busy node at once', async () => {
    const fleet = await startFleet({ LOAD_BALANCER_MODE: 'spec' })
    const { runtime, holding } = await busyNode(fleet, MODEL)
    const spilled = await send(fleet, 'spills')
    expect(spilled.statusCode).toBe(200)
    expect(tagsSeen(runtime)).toEqual(['hold', 'spills'])
    expect(queuedCount(fleet)).toBe(0)
    runtime.release()
    await holding.body.text()
  })
})

describe('capacity that appears without a released lease wakes the waiters', () => {
  it('a node that registers serves a waiting request at once', async () => {
    const { fleet, runtime: first, holding } = await oneBusySlot({ QUEUE_TIMEOUT_MS: '60000' })
    const waiting = send(fleet, 'waited')
    await waitFor(() => queuedCount(fleet) === 1, 'queued')
    const second = await startFakeRuntime({ name: 'second' })
    // Warm (an OpenAI-style runtime serves the model it started with), so the default balancer rates the
    // new slot sooner than queueing on the busy node; a cold Ollama node might rightly lose to the queue.
    await fleet.registerRuntime(second.url, { maxConcurrency: 1, hostname: 'second-host', kind: 'openai' })
    // No other request arrives and the busy slot stays taken: only the registration can wake it.
    expect((await waiting).statusCode).toBe(200)
    expect(tagsSeen(second)).toEqual(['waited'])
    first.release()
    await holding.body.text()
  })

  it('a push that clears the runtime backlog serves a waiting request', async () => {
    const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true', QUEUE_TIMEOUT_MS: '60000' })
    const runtime = await startFakeRuntime({ name: 'backlogged' })
    const id = await fleet.registerRuntime(runtime.url, { maxConcurrency: 2, hostname: 'backlogged' })
    const push = (activeRequests: number) =>
      fleet.registry.ingestMetrics(id, metrics(id, { activeRequests, cpuUsage: 1, gpuUsage: 1 }))
    // Two requests the runtime runs for someone else: no room.
    push(2)
    const waiting = send(fleet, 'waited')
    await waitFor(() => queuedCount(fleet) === 1, 'queued')
    push(0)
    expect((await waiting).statusCode).toBe(200)
    expect(tagsSeen(runtime)).toEqual(['waited'])
  })

  it('a cool-down that ends serves a waiting request', async () => {
    const {
      fleet,
      runtime: first,
      holding,
    } = await oneBusySlot({
      QUEUE_TIMEOUT_MS: '60000',
      COOL_DOWN_MS: '300',
      LOAD_BALANCER_MODE: 'spec',
    })
    const cooled = await startFakeRuntime({ name: 'cooled' })
    const id = await fleet.registerRuntime(cooled.url, { maxConcurrency: 1, hostname: 'cooled-host' })
    while (!fleet.registry.reportUpstreamFailure(id)) {
      // Failures until the cool-down starts (3 by default).
    }
    const waiting = send(fleet, 'waited')
    await waitFor(() => queuedCount(fleet) === 1, 'queued')
    expect((await waiting).statusCode).toBe(200)
    expect(tagsSeen(cooled)).toEqual(['waited'])
    first.release()
    await holding.body.text()
  })

  it('a request that fails over waits in the queue instead of going to a busy node', async () => {
    const { fleet, runtime: busy, holding } = await oneBusySlot({ LOAD_BALANCER_MODE: 'spec' })
    const failing = await startFakeRuntime({ name: 'failing', mode: { kind: 'status', statusCode: 503 } })
    await fleet.registerRuntime(failing.url, { maxConcurrency: 1, computeScore: 900, hostname: 'failing' })
    const failingOver = send(fleet, 'failed-over')
    await waitFor(() => queuedCount(fleet) === 1, 'queued after failing over')
    expect(failing.requests).toHaveLength(1)
    expect(tagsSeen(busy)).toEqual(['hold'])
    busy.release()
    await holding.body.text()
    expect((await failingOver).statusCode).toBe(200)
    expect(tagsSeen(busy)).toEqual(['hold', 'failed-over'])
  })
})

describe('QUEUE_WHEN_BUSY with the default balancer', () => {
  it('counts the requests it holds in the full node’s queue, so a backlog spills to a slower node with room', async () => {
    const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true' })
    // A fast node with one place, held busy, and a node a tenth as fast with eight places free; both
    // OpenAI-style, which serve what they were started with (no cold load to weigh).
    const node = { kind: 'openai', models: [MODEL] } as const
    const fast = await startFakeRuntime({ name: 'fast', mode: { kind: 'gated' } })
    await fleet.registerRuntime(fast.url, {
      ...node,
      maxConcurrency: 1,
      computeScore: 1_000,
      hostname: 'fast',
    })
    const firstChunk = once(fast.events, 'first-chunk')
    const holding = await send(fleet, 'hold')
    await firstChunk
    fast.setMode({ kind: 'ok' })
    const slow = await startFakeRuntime({ name: 'slow' })
    await fleet.registerRuntime(slow.url, { ...node, maxConcurrency: 8, computeScore: 100, hostname: 'slow' })

    // One at a time, each queued or answered before the next: the first waits for the fast node, a
    // wait of one answer there being shorter than a whole answer on the slow one. Each request held
    // adds an answer to that wait, until the slow node is sooner.
    const waiting: Promise<Dispatcher.ResponseData>[] = []
    for (let sent = 1; sent <= 20 && slow.requests.length === 0; sent++) {
      const response = send(fleet, `request-${sent}`)
      await waitFor(
        () => queuedCount(fleet) === waiting.length + 1 || slow.requests.length > 0,
        `request ${sent} queued or sent to the slow node`,
      )
      waiting.push(response)
    }
    expect(queuedCount(fleet)).toBeGreaterThanOrEqual(1)
    expect(slow.requests).toHaveLength(1)
    expect(tagsSeen(fast)).toEqual(['hold'])

    fast.release()
    await holding.body.text()
    for (const response of await Promise.all(waiting)) {
      expect(response.statusCode).toBe(200)
      await response.body.dump()
    }
  })
})
