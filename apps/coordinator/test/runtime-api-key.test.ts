/**
 * Runtimes started with an API key (vLLM and llama-server `--api-key`), end to end: the agent registers
 * the key (its `RUNTIME_API_KEY`), the coordinator sends it to that runtime and nowhere else, and the key
 * never shows in `GET /api/agents`, the logs, `/metrics`, the dashboard's stream or `/openapi.json`.
 */
import { type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { startFleet } from './helpers/start-fleet.js'

const RUNTIME_KEY = 'sk-runtime-secret-3f9a1c'

async function text(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await request(url, { headers, signal: AbortSignal.timeout(5000) })
  return response.body.text()
}

/** The dashboard's first server-sent event, as the page receives it. */
async function firstDashboardEvent(url: string, dispatcher: Dispatcher): Promise<string> {
  const response = await request(`${url}/dashboard/events`, { dispatcher })
  let received = ''
  for await (const chunk of response.body) {
    received += (chunk as Buffer).toString('utf8')
    if (received.includes('\n\n') && received.includes('data: ')) break
  }
  response.body.destroy()
  return received
}

describe('runtime API keys', () => {
  it.each(['vllm', 'llama-server'] as const)(
    'reaches a %s that demands a key, and never shows the key',
    async (server) => {
      const fleet = await startFleet()
      await fleet.addRuntime({ kind: 'openai', server, apiKey: RUNTIME_KEY })
      // A node registered without the key is refused by its runtime: the key is what makes the difference.
      await fleet.addRuntime({ kind: 'openai', server, apiKey: RUNTIME_KEY, models: ['other-model'] })
      const keyless = fleet.registry.list().find((node) => node.registration.models.includes('other-model'))
      expect(keyless).toBeDefined()

      const answer = await request(`${fleet.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: fleet.client,
        headers: { 'content-type': 'application/json', authorization: 'Bearer client-placeholder' },
        body: JSON.stringify({
          model: 'llama3.1:8b',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 4,
        }),
      })
      expect(answer.statusCode).toBe(200)
      await answer.body.dump()

      const shown = [
        JSON.stringify(await fleet.nodes()),
        JSON.stringify(fleet.logs),
        await text(`${fleet.url}/metrics`),
        await text(`${fleet.url}/openapi.json`),
        await firstDashboardEvent(fleet.url, fleet.client),
      ]
      for (const place of shown) expect(place).not.toContain(RUNTIME_KEY)
      expect(JSON.stringify(await fleet.nodes())).not.toContain('apiKey')
    },
  )

  it('sends nothing when the node registered no key: its runtime refuses, and the request fails over', async () => {
    const fleet = await startFleet()
    const { runtime } = await fleet.addRuntime({ kind: 'openai' })
    // The same runtime, now demanding a key, registered by an agent without RUNTIME_API_KEY.
    const guarded = await fleet.addRuntime({ kind: 'openai', apiKey: RUNTIME_KEY, models: ['guarded'] })
    const keylessId = await fleet.registerRuntime(guarded.runtime.url, {
      kind: 'openai',
      models: ['guarded'],
      hostname: 'no-key',
    })
    expect(runtime.url).not.toBe(guarded.runtime.url)
    const statuses = new Set<number>()
    for (let i = 0; i < 6; i++) {
      const answer = await request(`${fleet.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: fleet.client,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'guarded',
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 2,
        }),
      })
      statuses.add(answer.statusCode)
      await answer.body.dump()
    }
    // The runtime's 401 refused the node's (missing) key, not the client's: the node with the key answered.
    expect([...statuses]).toEqual([200])
    const refusals = fleet.logs.filter((line) => line.msg === 'upstream failed: failing over')
    expect(refusals.length).toBeGreaterThan(0)
    for (const line of refusals) expect(line.nodeId).toBe(keylessId)
  })
})
