/**
 * A node whose runtime URL leads back to the coordinator (an agent's RUNTIME_URL or ADVERTISE_URL set
 * to the coordinator's address): the request comes back naming this coordinator in `Via`, and is
 * refused with 508 instead of going round until every socket is taken.
 */
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import {
  MODEL,
  nodeRegistration,
  startCoordinator,
  totalInFlight,
  waitFor,
} from './helpers/start-coordinator.js'

const CHAT = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: false })

describe('a runtime URL that leads back to the coordinator', () => {
  it.each([
    ['open', {}, {}],
    ['behind API keys', { API_KEYS: 'k1' }, { authorization: 'Bearer k1' }],
  ])(
    'ends in 508 FLEET_PROXY_LOOP after one round, with every lease returned (%s)',
    async (_name, env, auth) => {
      const { url, registry, dispatcher, logs } = await startCoordinator({ captureLogs: true, env })
      registry.register(nodeRegistration(url, { hostname: 'loop', kind: 'openai' }))
      const response = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', ...auth },
        body: CHAT,
      })
      expect(response.statusCode).toBe(508)
      expect(await response.body.json()).toMatchObject({ error: { code: 'FLEET_PROXY_LOOP' } })
      // The client's request went to the node once; its return was refused there, and went no further.
      await waitFor(() => logs.some((line) => line.msg === 'proxied'), 'the proxied line')
      expect(logs.filter((line) => line.msg === 'proxied').map((line) => line.status)).toEqual([508])
      expect(logs.filter((line) => line.code === 'FLEET_PROXY_LOOP')).toHaveLength(1)
      await waitFor(() => totalInFlight(registry) === 0, 'every lease returned')
    },
  )

  it('tells a real runtime which proxies the request came through, itself last', async () => {
    const runtime = await startFakeRuntime()
    const { url, registry, dispatcher } = await startCoordinator()
    registry.register(nodeRegistration(runtime.url, { kind: 'openai' }))
    const response = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', via: '1.1 edge-proxy' },
      body: CHAT,
    })
    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect(runtime.requests[0]?.headers.via).toMatch(/^1\.1 edge-proxy, 1\.1 llm-fleet-[0-9a-f]{8}$/)
  })
})
