/**
 * Prompts not started, shared between coordinators: two coordinator processes (the built bin, as
 * main.ts wires the shared store) on one real redis-server, one runtime registered with both. A
 * prompt sent through one coordinator and held by the runtime without a byte shows on the other's
 * `GET /api/route`, and drops there when the request ends.
 */
import { RegistrationAccepted } from '@llm-fleet/types'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { assertBuilt, listeningUrl, spawnCoordinator } from './helpers/coordinator-process.js'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { createClient, MODEL, nodeRegistration, waitFor } from './helpers/start-coordinator.js'
import { startRedis } from './helpers/start-redis.js'

const TOKEN = 'shared-awaiting-agent-token'
/** 4 000 bytes of prompt: about 1 000 tokens as the coordinator estimates them (bytes / 4). */
const PROMPT = 'x'.repeat(4_000)

async function startCoordinatorProcess(redisUrl: string): Promise<string> {
  const child = spawnCoordinator([], {
    PORT: '0',
    HOST: '127.0.0.1',
    AGENT_TOKEN: TOKEN,
    SHARED_STATE_URL: redisUrl,
    PUSH_INTERVAL_MS: '600000',
  })
  return listeningUrl(child)
}

describe('prompts not started, across coordinators', () => {
  it('one coordinator’s prompt held by the runtime shows on the other’s route estimate until it ends', async () => {
    assertBuilt()
    const redis = await startRedis()
    const client = createClient()
    const [first, second] = await Promise.all([
      startCoordinatorProcess(redis.url),
      startCoordinatorProcess(redis.url),
    ])
    const runtime = await startFakeRuntime({ name: 'gpu-a', mode: { kind: 'hang' } })
    const register = async (coordinatorUrl: string) => {
      const response = await request(`${coordinatorUrl}/api/agents`, {
        method: 'POST',
        dispatcher: client,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(nodeRegistration(runtime.url, { kind: 'openai', hostname: 'gpu-a' })),
      })
      expect(response.statusCode).toBe(201)
      return RegistrationAccepted.parse(await response.body.json()).agentId
    }
    await register(first)
    const idOnSecond = await register(second)
    const awaitingOnSecond = async () => {
      const response = await request(`${second}/api/route?model=${encodeURIComponent(MODEL)}&api=openai`, {
        dispatcher: client,
      })
      const body = (await response.body.json()) as {
        candidates: { id: string; estimate: { awaitingTokens: number } | null }[]
      }
      return body.candidates.find((candidate) => candidate.id === idOnSecond)?.estimate?.awaitingTokens
    }
    expect(await awaitingOnSecond()).toBe(0)

    const controller = new AbortController()
    const held = request(`${first}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
      signal: controller.signal,
    })
    await waitFor(() => runtime.requests.length === 1, 'the request reached the runtime')
    await waitFor(
      async () => ((await awaitingOnSecond()) ?? 0) > 1_000,
      'the second coordinator sees the prompt',
    )
    expect(await awaitingOnSecond()).toBeLessThan(1_100)

    controller.abort()
    await expect(held).rejects.toThrow()
    await waitFor(async () => (await awaitingOnSecond()) === 0, 'the ended prompt dropped on the second')
  })
})
