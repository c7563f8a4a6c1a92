/**
 * Browser clients across origins: Debian's chromium (playwright-core) on a page served from one
 * origin calls a real coordinator on another, with an API key and the OpenAI SDK's own headers, as a
 * web UI or a browser extension does. The preflight is answered before the key check; an origin
 * outside the defaults and ALLOWED_ORIGINS gets no CORS headers, so the browser refuses the answer.
 */
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium } from 'playwright-core'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { listenUntilTestEnds } from './helpers/listen.js'
import { MODEL } from './helpers/start-coordinator.js'
import { type Fleet, startFleet } from './helpers/start-fleet.js'

const CHROMIUM = '/usr/bin/chromium'
const TIMEOUT_MS = 60_000
const API_KEY = 'browser-client-key'

let browser: Browser
let pageServer: Server
let pagePort: number

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with bash scripts/setup.sh --browser`)
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
  // The page the browser calls from; its origin is whichever loopback address the test opens it on.
  pageServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end('<!doctype html><title>client</title>')
  })
  pageServer.listen(0, '0.0.0.0')
  await once(pageServer, 'listening')
  pagePort = (pageServer.address() as AddressInfo).port
}, TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
  pageServer?.close()
})

async function fleetWithNode(env: Record<string, string> = {}): Promise<Fleet> {
  const fleet = await startFleet({ API_KEYS: API_KEY, ...env })
  const runtime = await startFakeRuntime({ name: 'browser-node' })
  await fleet.registerRuntime(runtime.url, { kind: 'openai', models: [MODEL], hostname: 'browser-node' })
  return fleet
}

/** Calls the coordinator from a page at `pageOrigin`: the status and X-Fleet-Node, or the fetch error. */
async function callFrom(pageOrigin: string, fleet: Fleet) {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${pageOrigin}/`)
    return await page.evaluate(
      async ({ url, key, model }) => {
        try {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'x-stainless-os': 'Linux',
              'x-stainless-lang': 'js',
            },
            body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
          })
          return { status: response.status, node: response.headers.get('x-fleet-node'), error: null }
        } catch (error) {
          return { status: null, node: null, error: String(error) }
        }
      },
      { url: fleet.url, key: API_KEY, model: MODEL },
    )
  } finally {
    await context.close()
  }
}

/**
 * A runtime with CORS of its own, as real ones have: Ollama answers 403 to an origin outside
 * OLLAMA_ORIGINS (gin-contrib/cors), vLLM allows every origin by default (`--allowed-origins '*'`).
 */
async function runtimeWithOwnCors(): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      if (request.headers.origin !== undefined) {
        response.writeHead(403, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ error: 'origin not allowed' }))
        return
      }
      response.writeHead(200, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        vary: 'origin, Accept-Encoding',
      })
      response.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: MODEL, choices: [] }))
    })
  })
  return listenUntilTestEnds(server)
}

describe('CORS', () => {
  it("is the coordinator's alone: the runtime never sees the Origin, and its CORS headers stay behind", async () => {
    const fleet = await startFleet()
    await fleet.registerRuntime(await runtimeWithOwnCors(), { kind: 'openai', models: [MODEL] })
    const chatFrom = async (origin: string) => {
      const response = await request(`${fleet.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: fleet.client,
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      })
      await response.body.dump()
      return response
    }
    // Forwarded, the Origin would get the runtime's 403, which counts against the node: three such
    // requests would cool the fleet down.
    for (let i = 0; i < 3; i++) {
      const foreign = await chatFrom('https://attacker.example')
      expect(foreign.statusCode).toBe(200)
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
    }
    const local = await chatFrom('http://localhost:5173')
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    // Joined with the coordinator's own, each field once.
    expect(local.headers.vary).toBe('Origin, Accept-Encoding')
  })

  it(
    'lets a page on localhost call with an API key, and keeps the answer from another origin',
    async () => {
      const fleet = await fleetWithNode()
      expect(await callFrom(`http://localhost:${pagePort}`, fleet)).toEqual({
        status: 200,
        node: 'browser-node',
        error: null,
      })
      const refused = await callFrom(`http://127.0.0.2:${pagePort}`, fleet)
      expect(refused.status).toBeNull()
      expect(refused.error).toMatch(/Failed to fetch/)
    },
    TIMEOUT_MS,
  )

  it(
    'lets the origins in ALLOWED_ORIGINS call too, a * standing for any port',
    async () => {
      const fleet = await fleetWithNode({ ALLOWED_ORIGINS: 'https://chat.example.com, http://127.0.0.2:*' })
      expect((await callFrom(`http://127.0.0.2:${pagePort}`, fleet)).status).toBe(200)
    },
    TIMEOUT_MS,
  )

  it('answers a preflight before the API key check, allowing the headers it asks for', async () => {
    const fleet = await fleetWithNode()
    const preflight = await request(`${fleet.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      dispatcher: fleet.client,
      headers: {
        origin: 'chrome-extension://abcdefghijklmnop',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,anthropic-version',
      },
    })
    await preflight.body.dump()
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('chrome-extension://abcdefghijklmnop')
    expect(preflight.headers['access-control-allow-headers']).toBe(
      'authorization,content-type,anthropic-version',
    )
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST')

    // The agent API is open without AGENT_TOKEN: a page must not get past its preflight.
    const agents = await request(`${fleet.url}/api/agents`, {
      method: 'OPTIONS',
      dispatcher: fleet.client,
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    })
    await agents.body.dump()
    expect(agents.statusCode).toBe(404)
    expect(agents.headers['access-control-allow-origin']).toBeUndefined()

    const elsewhere = await request(`${fleet.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      dispatcher: fleet.client,
      headers: { origin: 'https://attacker.example', 'access-control-request-method': 'POST' },
    })
    await elsewhere.body.dump()
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined()
  })
})
