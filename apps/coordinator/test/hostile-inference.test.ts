/**
 * Hostile input against the inference routes (the real app, a fake runtime behind it): random and
 * mutated bodies, deep nesting, oversized and empty bodies, bad UTF-8, prototype-pollution keys. Never a
 * 5xx, always the API's own error shape, nothing left in flight. And the client never chooses where the
 * coordinator connects: `Host`, `X-Forwarded-Host` and an absolute-URI request line change nothing.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { deepArray, deepObject, hostileMutation, mutatedBodyText } from './helpers/hostile-input.js'
import { postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { buildTestApp, createClient, MODEL } from './helpers/start-coordinator.js'
import { registration } from './helpers/wire-samples.js'

const RUNS = 100
const OPENAI_ROUTES = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] as const
const OLLAMA_ROUTES = ['/api/chat', '/api/generate', '/api/embed', '/api/embeddings'] as const
const ROUTES = [...OPENAI_ROUTES, ...OLLAMA_ROUTES] as const

const VALID_BODY = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], prompt: 'hi', stream: false }

/** The real app with one node whose runtime is a fake that answers everything. */
async function appWithRuntime() {
  const runtime = await startFakeRuntime()
  const built = await buildTestApp()
  built.registry.register(registration({ runtime: { kind: 'ollama', url: runtime.url }, models: [MODEL] }))
  const state = () => JSON.stringify(built.registry.list())
  return { ...built, runtime, state }
}

type App = Awaited<ReturnType<typeof appWithRuntime>>

/** A JSON generate body of exactly `sizeBytes` bytes, its prompt filling what the rest leaves: one allocation. */
function jsonBodyOfSize(sizeBytes: number): Buffer {
  const head = `{"model":"${MODEL}","stream":false,"prompt":"`
  const tail = '"}'
  const body = Buffer.alloc(sizeBytes, 'p')
  body.write(head, 0)
  body.write(tail, sizeBytes - tail.length)
  return body
}

/** No 5xx; errors in the route's API shape; the registry as it was once nothing is in flight. */
async function expectSafe(app: App, url: string, payload: string | Buffer, contentType = 'application/json') {
  const before = app.state()
  const response = await app.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType },
    payload,
  })
  expect(response.statusCode, response.body).toBeLessThan(500)
  if (response.statusCode >= 400) {
    const body = response.json<{ error: unknown }>()
    if (url.startsWith('/v1/')) {
      expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String) })
    } else {
      expect(typeof body.error).toBe('string')
    }
  }
  // The lease goes back when the upstream body closes, which may come just after inject resolves.
  for (let tries = 0; tries < 200 && app.state() !== before; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  expect(app.state()).toBe(before)
  return response.statusCode
}

describe('inference routes under hostile bodies (fast-check)', () => {
  it('random JSON bodies: never a 5xx, the API error shape, nothing left behind', async () => {
    const app = await appWithRuntime()
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(...ROUTES), async (value, url) => {
        await expectSafe(app, url, JSON.stringify(value))
      }),
      { numRuns: RUNS },
    )
  })

  it('a valid request with one field made hostile: never a 5xx', async () => {
    const app = await appWithRuntime()
    await fc.assert(
      fc.asyncProperty(hostileMutation(VALID_BODY), fc.constantFrom(...ROUTES), async (mutation, url) => {
        await expectSafe(app, url, mutatedBodyText(VALID_BODY, mutation))
      }),
      { numRuns: RUNS },
    )
  })

  it('random bytes under random content types: never a 5xx', async () => {
    const app = await appWithRuntime()
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/octet-stream',
          'multipart/form-data; boundary=x',
        ),
        fc.constantFrom(...ROUTES),
        async (bytes, contentType, url) => {
          await expectSafe(app, url, Buffer.from(bytes), contentType)
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('inference routes under hostile bytes', () => {
  it.each(ROUTES)('%s: 10 000 levels of nesting, empty bodies and non-objects are 400s', async (url) => {
    const app = await appWithRuntime()
    const deepField = JSON.stringify({ ...VALID_BODY, model: '@@' }).replace('"@@"', deepObject(10_000))
    for (const payload of [
      deepArray(10_000),
      deepObject(10_000),
      deepField,
      '',
      ' ',
      'null',
      '[]',
      '42',
      '"x"',
      '{',
    ]) {
      expect(await expectSafe(app, url, payload)).toBe(400)
    }
  })

  it('a model name that is a 10 000-level object or too long is a 400', async () => {
    const app = await appWithRuntime()
    expect(
      await expectSafe(
        app,
        '/v1/chat/completions',
        JSON.stringify({ ...VALID_BODY, model: 'm'.repeat(300) }),
      ),
    ).toBe(400)
  })

  it('a body over the 64 MiB inference limit is a 413 in the API format naming the limit and its setting', async () => {
    const app = await appWithRuntime()
    const huge = jsonBodyOfSize(64 * 1024 * 1024 + 1)
    const post = (url: string) =>
      app.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: huge })
    const message =
      "request body is over the coordinator's limit of 67108864 bytes (INFERENCE_BODY_LIMIT_BYTES)"
    const code = 'FST_ERR_CTP_BODY_TOO_LARGE'
    const openAi = await post('/v1/chat/completions')
    expect(openAi.statusCode).toBe(413)
    expect(openAi.json()).toEqual({ error: { message, type: 'invalid_request_error', param: null, code } })
    const ollama = await post('/api/generate')
    expect(ollama.statusCode).toBe(413)
    expect(ollama.json()).toEqual({ error: message })
    const anthropic = await post('/v1/messages')
    expect(anthropic.statusCode).toBe(413)
    expect(anthropic.json()).toEqual({ type: 'error', error: { type: 'request_too_large', message } })
    expect(app.runtime.requests).toEqual([])
  })

  it("an upload of any size to Ollama's model-management routes gets the 501 that says why, not a 413", async () => {
    const app = await appWithRuntime()
    const response = await app.app.inject({
      method: 'POST',
      url: '/api/blobs/sha256:0',
      headers: { 'content-type': 'application/octet-stream' },
      payload: jsonBodyOfSize(1024 * 1024 + 1),
    })
    expect(response.statusCode).toBe(501)
    expect(response.json().error).toContain('/api/blobs/*')
    // As after fastify's own 413: the unwanted body is not read to its end on a kept connection.
    expect(response.headers.connection).toBe('close')
  })

  it('bad UTF-8 inside the prompt or the model name: never a 5xx', async () => {
    const app = await appWithRuntime()
    for (const field of ['prompt', 'model'] as const) {
      const [head, tail] = JSON.stringify({ ...VALID_BODY, [field]: '@@' }).split('@@')
      for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
        const payload = Buffer.concat([Buffer.from(head ?? ''), Buffer.from(bytes), Buffer.from(tail ?? '')])
        for (const url of ROUTES) await expectSafe(app, url, payload)
      }
    }
  })

  it('prototype-pollution keys are forwarded as data and pollute nothing', async () => {
    const app = await appWithRuntime()
    const payload = `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${JSON.stringify(VALID_BODY).slice(1)}`
    for (const url of ROUTES) expect(await expectSafe(app, url, payload)).toBe(200)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('the client never chooses the upstream', () => {
  async function twoRuntimes() {
    const registered = await startFakeRuntime({ name: 'registered' })
    const elsewhere = await startFakeRuntime({ name: 'elsewhere' })
    const harness = await startProxyHarness()
    harness.addNode(registered.url)
    return { registered, elsewhere, harness, elsewhereHost: new URL(elsewhere.url).host }
  }

  it('Host and X-Forwarded-Host pointing elsewhere do not change the upstream', async () => {
    const { registered, elsewhere, harness, elsewhereHost } = await twoRuntimes()
    const client = createClient()
    for (const headers of [
      { host: elsewhereHost },
      {
        'x-forwarded-host': elsewhereHost,
        'x-forwarded-proto': 'http',
        'x-forwarded-port': elsewhereHost.split(':')[1] ?? '',
      },
      { forwarded: `host=${elsewhereHost};proto=http` },
    ]) {
      const response = await postJson(client, `${harness.url}/v1/chat/completions`, VALID_BODY, { headers })
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-runtime']).toBe('registered')
      await response.body.dump()
    }
    expect(registered.requests).toHaveLength(3)
    expect(elsewhere.requests).toHaveLength(0)
  })

  it('an absolute-URI request line naming another host does not change the upstream', async () => {
    const { registered, elsewhere, harness, elsewhereHost } = await twoRuntimes()
    const { port } = new URL(harness.url)
    const socket = connect(Number(port), '127.0.0.1')
    await once(socket, 'connect')
    const body = JSON.stringify(VALID_BODY)
    socket.write(
      `POST http://${elsewhereHost}/v1/chat/completions HTTP/1.1\r\nHost: ${elsewhereHost}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    )
    let answer = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      answer += chunk
    })
    await once(socket, 'end')
    // Either served by the registered node, or refused as a request for another server: never forwarded there.
    expect(answer).toMatch(/^HTTP\/1\.1 (200|400|404)/)
    if (answer.startsWith('HTTP/1.1 200')) {
      expect(answer).toMatch(/x-runtime: registered/i)
      // Forwarded in origin form: the runtime (or a proxy in front of it) never sees the other host.
      expect(registered.requests.map((seen) => seen.url)).toEqual(['/v1/chat/completions'])
    }
    expect(elsewhere.requests).toHaveLength(0)
  })
})
