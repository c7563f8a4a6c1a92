/**
 * The real coordinator's `/metrics` (dist/main.js, so with the process metrics main.ts registers) after
 * some traffic, linted by Debian's `promtool check metrics`: any finding (a naming rule broken, a
 * malformed line) fails the test, since Prometheus users run the same lint on what we expose.
 */
import { request } from 'undici'
import { beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, listeningUrl, spawnCoordinator } from './helpers/coordinator-process.js'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { promtool } from './helpers/promtool.js'
import { MODEL, nodeRegistration } from './helpers/start-coordinator.js'
import { metrics } from './helpers/wire-samples.js'

async function send(url: string, method: 'POST' | 'GET', body?: object) {
  const response = await request(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  const text = await response.body.text()
  return { status: response.statusCode, text }
}

// A child process, a runtime, traffic and promtool: on a loaded machine that outlasts the 5 s default.
describe('GET /metrics of the built coordinator', { timeout: 30_000 }, () => {
  beforeAll(assertBuilt)

  it('passes promtool check metrics without a single warning', async () => {
    const runtime = await startFakeRuntime()
    const url = await listeningUrl(spawnCoordinator([], { PORT: '0' }))

    const registered = await send(`${url}/api/agents`, 'POST', nodeRegistration(runtime.url))
    expect(registered.status, registered.text).toBe(201)
    const { agentId } = JSON.parse(registered.text) as { agentId: string }
    const pushed = await send(`${url}/api/agents/${agentId}/metrics`, 'POST', {
      ...metrics(agentId),
      runtime: { up: true, models: [MODEL], loadedModels: [MODEL] },
    })
    expect(pushed.status, pushed.text).toBe(204)
    // Traffic for every request series: proxied, streamed, a model nobody serves, a bad push.
    const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] }
    expect((await send(`${url}/v1/chat/completions`, 'POST', chat)).status).toBe(200)
    expect((await send(`${url}/v1/chat/completions`, 'POST', { ...chat, stream: true })).status).toBe(200)
    expect((await send(`${url}/v1/chat/completions`, 'POST', { ...chat, model: 'none:1b' })).status).toBe(404)
    expect((await send(`${url}/api/agents/${agentId}/metrics`, 'POST', { agentId })).status).toBe(400)

    const scrape = await send(`${url}/metrics`, 'GET')
    expect(scrape.status).toBe(200)
    // The lint must see what the fixes are about: fleet series with traffic and the process metrics.
    expect(scrape.text).toContain('llm_fleet_requests_total{')
    expect(scrape.text).toContain('llm_fleet_request_ttfb_seconds_bucket{')
    expect(scrape.text).toContain('nodejs_active_handles{')

    const lint = await promtool(['check', 'metrics'], { stdin: scrape.text })
    expect(lint.output.trim(), 'promtool findings').toBe('')
    expect(lint.code).toBe(0)
  })
})
