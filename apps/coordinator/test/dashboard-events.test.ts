/**
 * The dashboard's HTTP side on a real coordinator (port 0): the page and its Content-Security-Policy,
 * the server-sent snapshot stream, the API-key session, and streams that end when the app closes.
 */

import { type Agent, type Dispatcher, request } from 'undici'
import { describe, expect, it } from 'vitest'
import type { DashboardSnapshot } from '../src/dashboard/dashboard-snapshot.js'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, waitFor } from './helpers/start-coordinator.js'

function get(client: Agent, url: string, headers: Record<string, string> = {}) {
  return request(url, { dispatcher: client, headers })
}

/** Reads server-sent events until the first `data:` message and parses it. */
async function firstSnapshot(response: Dispatcher.ResponseData): Promise<DashboardSnapshot> {
  let text = ''
  for await (const chunk of response.body) {
    text += (chunk as Buffer).toString('utf8')
    const end = text.indexOf('\n\n', text.indexOf('data: '))
    if (text.includes('data: ') && end !== -1) {
      const line = text.slice(text.indexOf('data: ') + 6, end)
      response.body.destroy()
      return JSON.parse(line) as DashboardSnapshot
    }
  }
  throw new Error(`the stream ended without a snapshot: ${text}`)
}

describe('GET /dashboard', () => {
  it('serves the page, its script and its styles under a strict Content-Security-Policy', async () => {
    const harness = await startProxyHarness()
    const client = createClient()

    const page = await get(client, `${harness.url}/dashboard`)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const html = await page.body.text()
    expect(html).toContain('src="dashboard/app.js"')
    expect(html).not.toMatch(/<script>/)

    const script = await get(client, `${harness.url}/dashboard/app.js`)
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toMatch(/^text\/javascript/)
    const source = await script.body.text()
    // The XSS rule, checked where it would break: data reaches the DOM only through textContent.
    expect(source).not.toContain('innerHTML')
    expect(source).not.toContain('insertAdjacentHTML')
    const styles = await get(client, `${harness.url}/dashboard/app.css`)
    expect(styles.statusCode).toBe(200)
    expect(styles.headers['content-type']).toMatch(/^text\/css/)
    await styles.body.dump()
  })

  it('streams snapshots of the nodes, the recent routing decisions and the traffic', async () => {
    const runtime = await startFakeRuntime({ name: 'runtime-a' })
    const harness = await startProxyHarness()
    const client = createClient()
    harness.addNode(runtime.url, { hostname: 'gpu-a', maxConcurrency: 8 })
    const answer = await postJson(client, `${harness.url}/v1/chat/completions`, {
      model: MODEL,
      messages: [],
    })
    await answer.body.text()
    await waitFor(() => proxiedLines(harness).length === 1)

    const events = await get(client, `${harness.url}/dashboard/events`)
    expect(events.statusCode).toBe(200)
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/)
    const snapshot = await firstSnapshot(events)
    expect(snapshot.nodes.map((node) => [node.name, node.maxConcurrency, node.inFlight])).toEqual([
      ['gpu-a', 8, 0],
    ])
    expect(snapshot.decisions).toHaveLength(1)
    expect(snapshot.decisions[0]).toMatchObject({
      model: MODEL,
      node: 'gpu-a',
      status: 200,
      route: '/v1/chat/completions',
    })
    expect(snapshot.decisions[0]?.reason).toMatch(/: est \d/)
    // 10 minutes in 5 s buckets.
    expect(snapshot.traffic).toHaveLength(120)
    expect(snapshot.traffic.at(-1)?.requestsPerSecond).toBeGreaterThan(0)
  })

  it('with API_KEYS, opens the stream only with a key: a bearer header or the session cookie', async () => {
    const harness = await startProxyHarness({ apiKeys: ['key-one', 'key-two'] })
    const client = createClient()

    const refused = await get(client, `${harness.url}/dashboard/events`)
    expect(refused.statusCode).toBe(401)
    expect(((await refused.body.json()) as { code: string }).code).toBe('FLEET_AUTH_INVALID_API_KEY')
    const anonymous = await get(client, `${harness.url}/dashboard/session`)
    expect(await anonymous.body.json()).toEqual({ isKeyRequired: true, isAuthorized: false })
    // The page itself holds no data and loads without a key.
    const page = await get(client, `${harness.url}/dashboard`)
    expect(page.statusCode).toBe(200)
    await page.body.dump()

    const wrong = await request(`${harness.url}/dashboard/session`, {
      method: 'POST',
      dispatcher: client,
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.statusCode).toBe(401)
    await wrong.body.dump()
    const login = await request(`${harness.url}/dashboard/session`, {
      method: 'POST',
      dispatcher: client,
      headers: { authorization: 'Bearer key-two' },
    })
    expect(login.statusCode).toBe(204)
    const setCookie = String(login.headers['set-cookie'])
    expect(setCookie).toMatch(/^llm_fleet_dashboard_key=key-two;/)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/dashboard')
    await login.body.dump()
    const cookie = setCookie.split(';')[0] ?? ''

    const session = await get(client, `${harness.url}/dashboard/session`, { cookie })
    expect(await session.body.json()).toEqual({ isKeyRequired: true, isAuthorized: true })
    const withCookie = await get(client, `${harness.url}/dashboard/events`, { cookie })
    expect(withCookie.statusCode).toBe(200)
    expect((await firstSnapshot(withCookie)).nodes).toEqual([])
    const withBearer = await get(client, `${harness.url}/dashboard/events`, {
      authorization: 'Bearer key-one',
    })
    expect(withBearer.statusCode).toBe(200)
    withBearer.body.destroy()

    // The cookie opens the dashboard and nothing else.
    const inference = await postJson(
      client,
      `${harness.url}/v1/chat/completions`,
      { model: MODEL, messages: [] },
      {
        headers: { cookie },
      },
    )
    expect(inference.statusCode).toBe(401)
    await inference.body.dump()
  })

  it('ends open event streams when the app closes, so close() does not wait on them', async () => {
    const harness = await startProxyHarness()
    const client = createClient()
    const streams = await Promise.all([1, 2].map(() => get(client, `${harness.url}/dashboard/events`)))
    const ended = streams.map(async (stream) => {
      for await (const _chunk of stream.body) {
        // Drained until the server ends the stream.
      }
    })
    await harness.close()
    await Promise.all(ended)
  })
})
