import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { postJson, sseData, startTestRuntime, testAgent, waitUntil } from './helpers/test-runtime.js'

const MODEL = 'llama3.1:8b'
const OLLAMA_CHAT = {
  model: MODEL,
  messages: [{ role: 'user', content: 'hi' }],
  options: { num_predict: 50 },
}
const OPENAI_CHAT = {
  model: MODEL,
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 50,
  stream: true,
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return String((error as { code?: unknown }).code)
  }
  throw new Error('expected the request to fail')
}

describe('fault injection', () => {
  it('503 answers in each runtime’s error shape, for `count` requests only', async () => {
    const ollama = await startTestRuntime()
    const openai = await startTestRuntime({ kind: 'openai' })
    const agent = testAgent()
    const set = await postJson(agent, `${ollama.url}/_mock/faults`, { mode: '503', count: 1 })
    expect(set.status).toBe(200)
    await openai.setFault({ mode: '503' })
    const busy = await postJson(agent, `${ollama.url}/api/chat`, OLLAMA_CHAT)
    expect(busy.status).toBe(503)
    expect(JSON.parse(busy.text)).toEqual({ error: expect.any(String) })
    expect((await postJson(agent, `${ollama.url}/api/chat`, { ...OLLAMA_CHAT, stream: false })).status).toBe(
      200,
    )
    const openaiBusy = await postJson(agent, `${openai.url}/v1/chat/completions`, OPENAI_CHAT)
    expect(openaiBusy.status).toBe(503)
    expect(JSON.parse(openaiBusy.text)).toEqual({
      error: { message: expect.any(String), type: expect.any(String), param: null, code: null },
    })
    expect(ollama.stats().faulted).toBe(1)
  })

  it('die-mid-stream: the client gets afterChunks chunks, then the socket closes', async () => {
    const runtime = await startTestRuntime()
    await runtime.setFault({ mode: 'die-mid-stream', afterChunks: 2 })
    const response = await request(`${runtime.url}/api/chat`, {
      method: 'POST',
      dispatcher: testAgent(),
      body: JSON.stringify(OLLAMA_CHAT),
    })
    expect(response.statusCode).toBe(200)
    let received = ''
    const code = await errorCode(
      (async () => {
        for await (const chunk of response.body) received += String(chunk)
      })(),
    )
    expect(code).toBe('UND_ERR_SOCKET')
    expect(received.trimEnd().split('\n')).toHaveLength(2)
    await waitUntil('the slot to be freed', () => runtime.stats().active === 0)
    expect(runtime.stats()).toMatchObject({ faulted: 1, aborted: 0, totalTokens: 2 })
  })

  it('die-mid-stream with afterChunks 0 drops a non-streaming request before any answer', async () => {
    const runtime = await startTestRuntime({ kind: 'openai' })
    await runtime.setFault({ mode: 'die-mid-stream', afterChunks: 0 })
    const code = await errorCode(
      request(`${runtime.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: testAgent(),
        body: JSON.stringify({ ...OPENAI_CHAT, stream: false }),
      }),
    )
    expect(code).toBe('UND_ERR_SOCKET')
  })

  it('stall: headers and afterChunks chunks arrive, then nothing until the client gives up', async () => {
    const runtime = await startTestRuntime({ kind: 'openai' })
    await runtime.setFault({ mode: 'stall', afterChunks: 1 })
    const response = await request(`${runtime.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: testAgent(),
      body: JSON.stringify(OPENAI_CHAT),
      bodyTimeout: 200,
    })
    expect(response.statusCode).toBe(200)
    let received = ''
    const code = await errorCode(
      (async () => {
        for await (const chunk of response.body) received += String(chunk)
      })(),
    )
    expect(code).toBe('UND_ERR_BODY_TIMEOUT')
    // The role chunk and one token, and no [DONE].
    expect(sseData(received)).toHaveLength(2)
  })

  it('garbage: a 200 whose body is not JSON (NDJSON) or not parseable SSE', async () => {
    const ollama = await startTestRuntime()
    const openai = await startTestRuntime({ kind: 'openai' })
    await ollama.setFault({ mode: 'garbage' })
    await openai.setFault({ mode: 'garbage' })
    const agent = testAgent()
    const ndjson = await postJson(agent, `${ollama.url}/api/chat`, OLLAMA_CHAT)
    expect(ndjson.status).toBe(200)
    expect(() =>
      ndjson.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toThrow(SyntaxError)
    const sse = await postJson(agent, `${openai.url}/v1/chat/completions`, OPENAI_CHAT)
    expect(sse.status).toBe(200)
    expect(sse.text).not.toContain('[DONE]')
    expect(() => sseData(sse.text).map((payload) => JSON.parse(payload))).toThrow(SyntaxError)
    const tags = await request(`${ollama.url}/api/tags`, { dispatcher: agent })
    await expect(tags.body.json()).rejects.toThrow()
  })

  it('refuse closes the port (ECONNREFUSED); clearing it reopens the same port', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    await runtime.setFault({ mode: 'refuse' })
    expect(await errorCode(request(`${runtime.url}/api/version`, { dispatcher: agent }))).toBe('ECONNREFUSED')
    await runtime.setFault({ mode: 'ok' })
    const version = await request(`${runtime.url}/api/version`, { dispatcher: agent })
    expect(version.statusCode).toBe(200)
    await version.body.dump()
  })

  it('refuse over HTTP, cleared over the control port', async () => {
    const runtime = await startTestRuntime({ controlPort: 0 })
    const agent = testAgent()
    const controlUrl = runtime.controlUrl ?? ''
    expect(controlUrl).not.toBe('')
    expect((await postJson(agent, `${runtime.url}/_mock/faults`, { mode: 'refuse' })).status).toBe(200)
    expect(await errorCode(request(`${runtime.url}/api/version`, { dispatcher: agent }))).toBe('ECONNREFUSED')
    expect((await postJson(agent, `${controlUrl}/_mock/faults`, { mode: 'ok' })).status).toBe(200)
    const version = await request(`${runtime.url}/api/version`, { dispatcher: agent })
    expect(version.statusCode).toBe(200)
    await version.body.dump()
  })

  it('rejects an invalid fault with 400', async () => {
    const runtime = await startTestRuntime()
    const invalid = await postJson(testAgent(), `${runtime.url}/_mock/faults`, { mode: 'explode' })
    expect(invalid.status).toBe(400)
    expect(JSON.parse(invalid.text)).toEqual({ error: expect.stringContaining('mode') })
  })
})
