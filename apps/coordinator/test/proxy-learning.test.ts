/**
 * The default balancer learning from real proxied traffic: a real coordinator, mock Ollama runtimes
 * answering with Ollama's final-chunk metrics, `GET /api/route` showing what was learned, and a node
 * that leaves taking its learned state with it.
 */
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { MODEL } from './helpers/start-coordinator.js'
import { FLEET_AGENT_TOKEN, type Fleet, startFleet } from './helpers/start-fleet.js'

interface RouteCandidate {
  readonly id: string
  readonly name: string
  readonly estimate: {
    readonly decodeSamples: number
    readonly decodeRate: number
    readonly cachedTokens: number
    readonly slots: number
  } | null
}

async function route(fleet: Fleet): Promise<{ candidates: RouteCandidate[] }> {
  const response = await request(`${fleet.url}/api/route?model=${encodeURIComponent(MODEL)}&api=ollama`, {
    dispatcher: fleet.client,
  })
  expect(response.statusCode).toBe(200)
  return (await response.body.json()) as { candidates: RouteCandidate[] }
}

async function chat(fleet: Fleet, content: string, stream: boolean, path = '/api/chat') {
  const response = await request(`${fleet.url}${path}`, {
    method: 'POST',
    dispatcher: fleet.client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content }] }),
  })
  const text = await response.body.text()
  expect(response.statusCode).toBe(200)
  return { text, node: response.headers['x-fleet-node'], reason: String(response.headers['x-fleet-reason']) }
}

function samplesOf(candidates: readonly RouteCandidate[], nodeId: string): number {
  return candidates.find((candidate) => candidate.id === nodeId)?.estimate?.decodeSamples ?? -1
}

describe('the default balancer learns from proxied traffic', () => {
  it('learns decode rates from Ollama final chunks, streamed and not, and shows them in /api/route', async () => {
    const fleet = await startFleet()
    const { nodeId } = await fleet.addRuntime({ profile: 'a100' })
    expect(samplesOf((await route(fleet)).candidates, nodeId)).toBe(0)

    await chat(fleet, 'one', true)
    await chat(fleet, 'two', false)
    // The sample is taken when the body closes, just after the client has it all.
    let candidates: RouteCandidate[] = []
    await expect
      .poll(async () => {
        candidates = (await route(fleet)).candidates
        return samplesOf(candidates, nodeId)
      })
      .toBeGreaterThanOrEqual(1.9)
    expect(candidates[0]?.estimate?.decodeRate).toBeGreaterThan(0)
  })

  it('sends the next turn of a conversation to the node that computed its prefix', async () => {
    // Two equal OpenAI-style runtimes (always warm): without the prefix, ties rotate between them.
    const fleet = await startFleet()
    await fleet.addRuntime({ profile: 'a100', kind: 'openai' })
    await fleet.addRuntime({ profile: 'a100', kind: 'openai' })
    const history = 'An earlier turn of a long conversation. '.repeat(60)
    const first = await chat(fleet, history, false, '/v1/chat/completions')
    const unrelated = await chat(fleet, 'Something else entirely', false, '/v1/chat/completions')
    expect(unrelated.node).not.toBe(first.node)
    const next = await chat(fleet, `${history}And a follow-up question.`, false, '/v1/chat/completions')
    expect(next.node).toBe(first.node)
    expect(next.reason).toMatch(/prompt tokens cached/)
  })

  it("expects an answer no longer than the client's max_tokens", async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ profile: 'a100', kind: 'openai' })
    const estimateOf = async (limit: Record<string, number>) => {
      const response = await request(`${fleet.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: fleet.client,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Yes or no?' }], ...limit }),
      })
      await response.body.text()
      expect(response.statusCode).toBe(200)
      const seconds = /est ([\d.]+) s/.exec(String(response.headers['x-fleet-reason']))?.[1]
      return Number(seconds)
    }
    // The first request is priced at the 256-token prior; its answer then teaches a mean of tens of
    // tokens, still far above the second request's limit of 2.
    const unlimited = await estimateOf({})
    expect(unlimited).toBeGreaterThan(0.5)
    expect(await estimateOf({ max_tokens: 2 })).toBeLessThan(unlimited / 10)
  })

  it("learns from the time an answer took at its node, not the time it waited in the coordinator's queue", async () => {
    // Two places, three streamed requests at once: the third waits here (QUEUE_WHEN_BUSY) and then runs
    // at once beside one other request, which the runtime's 24 places hold without queueing. Timed from
    // its arrival, its first token looked an answer late: a queue inside the runtime, which capped the
    // node below the two places it was registered with.
    const fleet = await startFleet({ QUEUE_WHEN_BUSY: 'true' })
    // Slowed so that the third request waits here for well over the 0.25 s that counts as queued.
    const { nodeId } = await fleet.addRuntime({ profile: 'a100', maxConcurrency: 2, speedScale: 0.1 })
    const results = await Promise.all(
      ['one', 'two', 'three'].map(async (content) => {
        const response = await request(`${fleet.url}/api/chat`, {
          method: 'POST',
          dispatcher: fleet.client,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: MODEL,
            messages: [{ role: 'user', content }],
            options: { num_predict: 24 },
          }),
        })
        await response.body.text()
        return response.statusCode
      }),
    )
    expect(results).toEqual([200, 200, 200])
    expect(fleet.logs.filter((line) => line.msg === 'request queued')).toHaveLength(1)
    // The learner reads each answer as its body closes, before the request's `proxied` line.
    await expect.poll(() => fleet.logs.filter((line) => line.msg === 'proxied').length).toBe(3)
    const candidate = (await route(fleet)).candidates.find((entry) => entry.id === nodeId)
    // Unqueued answers probe one place above what they ran beside; a queued one caps below it.
    expect(candidate?.estimate?.slots).toBeGreaterThanOrEqual(2)
  })

  it('forgets what it learned about a node that leaves; a node taking its slot starts from the prior', async () => {
    const fleet = await startFleet()
    const { nodeId } = await fleet.addRuntime({ profile: 'a100' })
    await chat(fleet, 'warm up', false)
    await expect.poll(async () => samplesOf((await route(fleet)).candidates, nodeId)).toBeGreaterThan(0)

    const drained = await request(`${fleet.url}/api/agents/${nodeId}`, {
      method: 'DELETE',
      dispatcher: fleet.client,
      headers: { authorization: `Bearer ${FLEET_AGENT_TOKEN}` },
    })
    expect(drained.statusCode).toBe(204)
    await drained.body.dump()
    const { nodeId: newcomer } = await fleet.addRuntime({ profile: 'a100' })
    expect(fleet.registry.snapshot().map((node) => node.slot)).toEqual([0])
    expect(samplesOf((await route(fleet)).candidates, newcomer)).toBe(0)
  })
})
