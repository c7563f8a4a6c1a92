/**
 * The prompts a node has not started, as the default balancer counts them through a real coordinator:
 * from the attempt until the first byte of the answer streams back through the proxy, and gone when a
 * request ends without one. `GET /api/route` shows them per candidate (`awaitingTokens`).
 */
import { once } from 'node:events'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { MODEL, waitFor } from './helpers/start-coordinator.js'
import { type Fleet, startFleet } from './helpers/start-fleet.js'

/** 4 000 bytes of prompt: about 1 000 tokens as the coordinator estimates them (bytes / 4). */
const PROMPT = 'x'.repeat(4_000)

/** `GET /api/route`'s estimate for `nodeId`. */
async function estimateOn(
  fleet: Fleet,
  nodeId: string,
): Promise<{ awaitingTokens: number; firstTokenS: number }> {
  const response = await request(`${fleet.url}/api/route?model=${encodeURIComponent(MODEL)}&api=openai`, {
    dispatcher: fleet.client,
  })
  expect(response.statusCode).toBe(200)
  const body = (await response.body.json()) as {
    candidates: { id: string; estimate: { awaitingTokens: number; firstTokenS: number } | null }[]
  }
  const estimate = body.candidates.find((candidate) => candidate.id === nodeId)?.estimate
  if (estimate == null) throw new Error(`no estimate for ${nodeId}`)
  return estimate
}

const awaitingOn = async (fleet: Fleet, nodeId: string) => (await estimateOn(fleet, nodeId)).awaitingTokens

/** A chat request whose one user message is `content` (the prompt text, or parts such as an image). */
function chat(fleet: Fleet, stream: boolean, signal?: AbortSignal, content: unknown = PROMPT) {
  return request(`${fleet.url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: fleet.client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content }] }),
    signal: signal ?? null,
  })
}

const streamChat = (fleet: Fleet, signal?: AbortSignal) => chat(fleet, true, signal)

/** A coordinator with one OpenAI-style node whose runtime holds every request without a byte. */
async function fleetWithHangingNode() {
  const fleet = await startFleet()
  const runtime = await startFakeRuntime({ name: 'gpu-a', mode: { kind: 'hang' } })
  const nodeId = await fleet.registerRuntime(runtime.url, { kind: 'openai', hostname: 'gpu-a' })
  return { fleet, runtime, nodeId }
}

describe('prompts a node has not started', () => {
  it('count from the attempt to the first streamed byte, and not after a request left without one', async () => {
    const { fleet, runtime, nodeId } = await fleetWithHangingNode()
    expect(await awaitingOn(fleet, nodeId)).toBe(0)

    // The runtime holds the request without a byte: its prompt waits there.
    const controller = new AbortController()
    const hanging = streamChat(fleet, controller.signal)
    await waitFor(() => runtime.requests.length === 1, 'the request reached the runtime')
    const queued = await awaitingOn(fleet, nodeId)
    expect(queued).toBeGreaterThan(1_000)
    expect(queued).toBeLessThan(1_100)
    // The client leaves: the request ends without a byte, and its prompt no longer counts.
    controller.abort()
    await expect(hanging).rejects.toThrow()
    await waitFor(async () => (await awaitingOn(fleet, nodeId)) === 0, 'the abandoned prompt dropped')

    // The next request gets its first chunk, then the runtime holds the rest of the answer.
    runtime.setMode({ kind: 'gated' })
    const firstChunk = once(runtime.events, 'first-chunk')
    const streaming = await streamChat(fleet)
    await firstChunk
    await waitFor(async () => (await awaitingOn(fleet, nodeId)) === 0, 'the started prompt dropped')
    runtime.release()
    expect(streaming.statusCode).toBe(200)
    expect(await streaming.body.text()).toContain('[DONE]')
    expect(await awaitingOn(fleet, nodeId)).toBe(0)
  })

  it('count a request that is not streamed only until its estimated first token, though it has no byte yet', async () => {
    const { fleet, runtime, nodeId } = await fleetWithHangingNode()
    // OpenAI's API answers in one piece unless asked to stream: the first byte would come at the end.
    const controller = new AbortController()
    const hanging = chat(fleet, false, controller.signal)
    let answered = false
    void hanging.then(
      () => (answered = true),
      () => undefined,
    )
    await waitFor(() => runtime.requests.length === 1, 'the request reached the runtime')
    // The route shows the prompt ahead, and a first token expected after its prefill: later than idle.
    const queued = await estimateOn(fleet, nodeId)
    expect(queued.awaitingTokens).toBeGreaterThan(1_000)
    await waitFor(async () => (await awaitingOn(fleet, nodeId)) === 0, 'the prompt counted as started')
    expect(queued.firstTokenS).toBeGreaterThan((await estimateOn(fleet, nodeId)).firstTokenS)
    // Still no byte of the answer: the request is under way, only its prompt no longer counts.
    expect(answered).toBe(false)
    controller.abort()
    await expect(hanging).rejects.toThrow()
  })

  it('count an inline image as a fixed number of prompt tokens, not its base64 bytes / 4', async () => {
    const { fleet, runtime, nodeId } = await fleetWithHangingNode()
    // A 300 kB picture: 400 000 characters of base64, 100 000 "tokens" if read as text.
    const picture = Buffer.alloc(300_000, 7).toString('base64')
    const controller = new AbortController()
    const hanging = chat(fleet, true, controller.signal, [
      { type: 'text', text: PROMPT },
      { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${picture}` } },
    ])
    await waitFor(() => runtime.requests.length === 1, 'the request reached the runtime')
    // About 1 000 tokens of text and JSON around it, and 576 for the image.
    const queued = await awaitingOn(fleet, nodeId)
    expect(queued).toBeGreaterThan(1_576)
    expect(queued).toBeLessThan(1_700)
    controller.abort()
    await expect(hanging).rejects.toThrow()
  })

  it('leave the node an attempt failed on when the failover then waits in the queue and gives up', async () => {
    const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true', QUEUE_TIMEOUT_MS: '300' })
    const busy = await startFakeRuntime({ name: 'busy', mode: { kind: 'hang' } })
    const busyId = await fleet.registerRuntime(busy.url, {
      kind: 'openai',
      hostname: 'busy',
      maxConcurrency: 1,
    })
    // The only node takes a request it never answers: it is full from now on.
    const blocker = new AbortController()
    const blocked = streamChat(fleet, blocker.signal)
    await waitFor(() => busy.requests.length === 1, 'the blocker reached the busy node')
    const failing = await startFakeRuntime({ name: 'failing', mode: { kind: 'status', statusCode: 503 } })
    const failingId = await fleet.registerRuntime(failing.url, { kind: 'openai', hostname: 'failing' })

    // Sent to the idle node, which answers 503; the failover finds the other full and queues, then
    // the queue times out: the request is rejected without a second attempt.
    const rejected = await streamChat(fleet)
    expect(rejected.statusCode).toBe(503)
    await rejected.body.text()
    expect(failing.requests).toHaveLength(1)
    expect(await awaitingOn(fleet, failingId)).toBe(0)
    expect(await awaitingOn(fleet, busyId)).toBeGreaterThan(1_000)
    blocker.abort()
    await expect(blocked).rejects.toThrow()
    await waitFor(async () => (await awaitingOn(fleet, busyId)) === 0, 'the blocker dropped')
  })
})
