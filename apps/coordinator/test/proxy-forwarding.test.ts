import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, waitFor } from './helpers/start-coordinator.js'

describe('forwarding', () => {
  it('forwards a non-streaming OpenAI request as sent and returns the answer with the fleet headers', async () => {
    const runtime = await startFakeRuntime({ name: 'gpu-a' })
    const coordinator = await startProxyHarness()
    const nodeId = coordinator.addNode(runtime.url, { hostname: 'gpu-a.lan' })
    const client = createClient()
    // Odd spacing on purpose: the runtime must receive these exact bytes.
    const body = `{ "model": "${MODEL}",  "messages": [{"role":"user","content":"hi"}] }`

    const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, body, {
      headers: { 'x-request-id': 'req-42' },
    })

    expect(response.statusCode).toBe(200)
    expect(await response.body.json()).toMatchObject({
      choices: [{ message: { content: 'hello from gpu-a' } }],
    })
    expect(response.headers['x-fleet-node']).toBe('gpu-a.lan')
    // One Ollama node whose pushes list no loaded model: a cold load (5 s before any was measured,
    // counted 5 times: others wait for it too) plus 256 answer tokens at 100 tok/s and the prompt's
    // prefill: 25 + 2.56 s and a little.
    const REASON = 'cold load, 0/4 in flight: est 28 s'
    expect(response.headers['x-fleet-reason']).toBe(REASON)
    expect(response.headers['x-request-id']).toBe('req-42')
    expect(response.headers['x-runtime']).toBe('gpu-a')
    expect(response.headers['x-accel-buffering']).toBeUndefined()
    expect(runtime.requests).toHaveLength(1)
    expect(runtime.requests[0]?.body).toBe(body)
    expect(runtime.requests[0]?.url).toBe('/v1/chat/completions')
    expect(runtime.requests[0]?.headers['x-request-id']).toBe('req-42')

    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({
      reqId: 'req-42',
      nodeId,
      node: 'gpu-a.lan',
      model: MODEL,
      route: '/v1/chat/completions',
      reason: REASON,
      status: 200,
      retries: 0,
    })
    expect(proxiedLines(coordinator)[0]?.ttfbMs).toEqual(expect.any(Number))
    expect(proxiedLines(coordinator)[0]?.totalMs).toEqual(expect.any(Number))
  })

  it('generates a request id when the client sends none and passes it upstream', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)

    const response = await postJson(createClient(), `${coordinator.url}/api/generate`, {
      model: MODEL,
      prompt: 'hi',
      stream: false,
    })

    expect(response.statusCode).toBe(200)
    expect(await response.body.json()).toMatchObject({ response: 'hello from runtime', done: true })
    const requestId = response.headers['x-request-id']
    expect(requestId).toEqual(expect.any(String))
    expect(runtime.requests[0]?.headers['x-request-id']).toBe(requestId)
  })

  it('keeps hop-by-hop headers, the API key and the host away from the runtime', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness({ apiKeys: ['secret-key'] })
    coordinator.addNode(runtime.url)

    // node:http, not undici: undici's client drops a Connection header that names other headers.
    const statusCode = await new Promise<number | undefined>((resolve, reject) => {
      const outgoing = httpRequest(`${coordinator.url}/api/chat`, {
        method: 'POST',
        agent: false,
        headers: {
          authorization: 'Bearer secret-key',
          connection: 'close, x-private-hop',
          'x-private-hop': 'must not pass',
          'proxy-authorization': 'Basic abc',
          te: 'trailers',
          'x-custom': 'passes',
          'content-type': 'application/x-www-form-urlencoded',
        },
      })
      outgoing.on('response', (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode))
      })
      outgoing.on('error', reject)
      outgoing.end(JSON.stringify({ model: MODEL, messages: [], stream: false }))
    })

    expect(statusCode).toBe(200)
    const headers = runtime.requests[0]?.headers ?? {}
    expect(headers.authorization).toBeUndefined()
    expect(headers['x-private-hop']).toBeUndefined()
    expect(headers['proxy-authorization']).toBeUndefined()
    expect(headers.te).toBeUndefined()
    expect(headers['x-custom']).toBe('passes')
    expect(headers['content-type']).toBe('application/json')
    expect(headers.host).toBe(new URL(runtime.url).host)
  })

  it.each([
    { api: 'OpenAI', path: '/v1/chat/completions', body: { model: MODEL, stream: true }, first: 'data: ' },
    { api: 'Ollama', path: '/api/chat', body: { model: MODEL, messages: [] }, first: '{"model"' },
  ])(
    'streams $api chunks one by one: the first reaches the client before the runtime finishes',
    async ({ path, body, first }) => {
      const runtime = await startFakeRuntime({ mode: { kind: 'gated' }, chunks: 4 })
      const coordinator = await startProxyHarness()
      coordinator.addNode(runtime.url)
      let hasRuntimeFinished = false
      runtime.events.once('finished', () => {
        hasRuntimeFinished = true
      })

      const response = await postJson(createClient(), `${coordinator.url}${path}`, body)

      expect(response.statusCode).toBe(200)
      expect(response.headers['x-accel-buffering']).toBe('no')
      const chunks = response.body[Symbol.asyncIterator]()
      // The runtime is held at its gate after the first chunk: it cannot finish until released, so a
      // proxy that buffered would never deliver this chunk and the test would time out.
      const firstChunk = await chunks.next()
      expect(String(firstChunk.value)).toContain(first)
      expect(String(firstChunk.value)).toContain('t0')
      expect(hasRuntimeFinished).toBe(false)

      runtime.release()
      let rest = ''
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next())
        rest += String(next.value)
      expect(rest).toContain('t3')
      expect(hasRuntimeFinished).toBe(true)
    },
  )

  it('sends Ollama chat as a stream unless the body says otherwise', async () => {
    const runtime = await startFakeRuntime({ chunks: 2 })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)

    const response = await postJson(createClient(), `${coordinator.url}/api/chat`, {
      model: MODEL,
      messages: [],
    })

    expect(response.headers['content-type']).toBe('application/x-ndjson')
    expect(response.headers['x-accel-buffering']).toBe('no')
    const lines = (await response.body.text()).trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(JSON.parse(lines[2] ?? '')).toMatchObject({ done: true })
  })

  it('forwards embeddings on both APIs', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)
    const client = createClient()

    for (const path of [
      '/v1/embeddings',
      '/api/embed',
      '/api/embeddings',
      '/v1/completions',
      '/api/generate',
    ]) {
      const response = await postJson(client, `${coordinator.url}${path}`, {
        model: MODEL,
        input: 'x',
        stream: false,
      })
      expect(response.statusCode, path).toBe(200)
      await response.body.dump()
    }
    expect(runtime.requests.map((recorded) => recorded.url)).toEqual([
      '/v1/embeddings',
      '/api/embed',
      '/api/embeddings',
      '/v1/completions',
      '/api/generate',
    ])
  })

  it('percent-encodes node names a header cannot carry, in X-Fleet-Node and in X-Fleet-Reason', async () => {
    const coordinator = await startProxyHarness()
    // A slow node the balancer names as the runner-up, with a name node:http refuses to write raw.
    // `%` too, or decodeURIComponent would throw on the header (or read `%41` as `A`).
    const runnerUpName = 'gpu-节点-ß-50%'
    coordinator.addNode((await startFakeRuntime()).url, { hostname: runnerUpName, computeScore: 1 })
    coordinator.addNode((await startFakeRuntime()).url, { hostname: 'gpu-b', computeScore: 1_000 })
    const client = createClient()
    const send = () =>
      postJson(
        client,
        `${coordinator.url}/api/chat`,
        { model: MODEL, stream: false },
        {
          signal: AbortSignal.timeout(5_000),
        },
      )

    const response = await send()

    expect(response.statusCode).toBe(200)
    expect(response.headers['x-fleet-node']).toBe('gpu-b')
    const reason = String(response.headers['x-fleet-reason'])
    expect(reason).toMatch(
      /^cold load, 0\/4 in flight: est \d+ s \(gpu-%E8%8A%82%E7%82%B9-%C3%9F-50%25 slower decode: \d+ s\)$/,
    )
    expect(decodeURIComponent(reason)).toContain(`(${runnerUpName} slower decode: `)
    await response.body.dump()

    coordinator.registry.drain(coordinator.registry.list().find((node) => node.name === 'gpu-b')?.id ?? '')
    const served = await send()
    expect(served.statusCode).toBe(200)
    expect(decodeURIComponent(String(served.headers['x-fleet-node']))).toBe(runnerUpName)
    await served.body.dump()
  })

  it('passes a runtime error status through in the runtime own words', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'status', statusCode: 400 } })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)

    const response = await postJson(createClient(), `${coordinator.url}/api/chat`, { model: MODEL })

    expect(response.statusCode).toBe(400)
    expect(await response.body.json()).toEqual({ error: 'runtime says 400' })
  })
})
