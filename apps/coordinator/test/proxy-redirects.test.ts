/**
 * A runtime's redirect (FastAPI's 307 for a trailing slash) names the runtime's own address, built from
 * the Host the coordinator sent it. The client must see a URL on the coordinator instead: its internal
 * address stays hidden, and following the redirect goes through the coordinator again.
 */
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { listenUntilTestEnds } from './helpers/listen.js'
import { postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL } from './helpers/start-coordinator.js'

/**
 * A runtime that answers every request with a 307 to the same path plus `/`, at its own origin as
 * Starlette's `redirect_slashes` builds it (from the request's Host header), plus a relative one.
 */
async function startRedirectingRuntime(): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(307, {
        location: `http://${request.headers.host}${request.url}/`,
        'content-location': 'answer.json',
        'content-length': '0',
      })
      response.end()
    })
  })
  return listenUntilTestEnds(server)
}

describe("a runtime's redirect", () => {
  it("reaches the client as a path on the coordinator, without the runtime's address", async () => {
    const runtimeUrl = await startRedirectingRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtimeUrl, { kind: 'openai' })
    const body = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] }

    const response = await postJson(createClient(), `${coordinator.url}/v1/chat/completions`, body)
    await response.body.dump()
    expect(response.statusCode).toBe(307)
    expect(response.headers.location).toBe('/v1/chat/completions/')
    // A relative reference resolves against the client's own URL: nothing to rewrite.
    expect(response.headers['content-location']).toBe('answer.json')
    expect(JSON.stringify(response.headers)).not.toContain(new URL(runtimeUrl).host)
  })
})
