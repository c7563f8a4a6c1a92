/**
 * The behaviours of the real servers that clients and the agent depend on (issue 12): `/api/show`,
 * names matched as Ollama and vLLM match them, errors inside streams, failed loads, llama-server's
 * 503 while loading, API keys guarded and worded per server, each server's metrics names, and the
 * Responses and Messages APIs.
 */
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { getJson, postJson, sseData, startTestRuntime, testAgent } from './helpers/test-runtime.js'

const chat = (model: string, stream: boolean) => ({
  model,
  messages: [{ role: 'user', content: 'hello there' }],
  stream,
  max_tokens: 8,
  options: { num_predict: 8 },
})

describe('Ollama routes and names', () => {
  it('answers HEAD / and /api/show, matching names case-insensitively with :latest implied', async () => {
    const runtime = await startTestRuntime({ models: ['llama3.1:8b', 'qwen2.5:latest'] })
    const agent = testAgent()
    const head = await request(`${runtime.url}/`, { method: 'HEAD', dispatcher: agent })
    await head.body.dump()
    expect(head.statusCode).toBe(200)
    const show = await postJson(agent, `${runtime.url}/api/show`, { model: 'Llama3.1:8B' })
    expect(show.status).toBe(200)
    expect(JSON.parse(show.text)).toMatchObject({
      details: { family: 'llama' },
      capabilities: ['completion'],
    })
    expect((await postJson(agent, `${runtime.url}/api/show`, { name: 'QWEN2.5' })).status).toBe(200)
    const missing = await postJson(agent, `${runtime.url}/api/show`, { model: 'nope' })
    expect({ status: missing.status, body: JSON.parse(missing.text) }).toEqual({
      status: 404,
      body: { error: "model 'nope' not found" },
    })
    expect((await postJson(agent, `${runtime.url}/api/chat`, chat('Qwen2.5', false))).status).toBe(200)
  })

  it('reports a real-looking digest of 64 hex digits in /api/tags', async () => {
    const runtime = await startTestRuntime()
    const { json } = await getJson(testAgent(), `${runtime.url}/api/tags`)
    expect((json as { models: { digest: string }[] }).models[0]?.digest).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('faults as the real servers show them', () => {
  it('error-mid-stream: Ollama ends its NDJSON with an {"error"} line', async () => {
    const runtime = await startTestRuntime({ fault: { mode: 'error-mid-stream', afterChunks: 2 } })
    const answer = await postJson(testAgent(), `${runtime.url}/api/chat`, chat('llama3.1:8b', true))
    const lines = answer.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(answer.status).toBe(200)
    expect(lines).toHaveLength(3)
    expect(lines[2]).toEqual({ error: expect.stringContaining('error was encountered') })
  })

  it('error-mid-stream: vLLM sends an SSE error event, then [DONE]; unstreamed it is a 500', async () => {
    const runtime = await startTestRuntime({
      kind: 'openai',
      fault: { mode: 'error-mid-stream', afterChunks: 1 },
    })
    const agent = testAgent()
    const streamed = await postJson(agent, `${runtime.url}/v1/chat/completions`, chat('llama3.1:8b', true))
    const events = sseData(streamed.text)
    expect(events.at(-1)).toBe('[DONE]')
    expect(JSON.parse(events.at(-2) ?? '')).toMatchObject({
      error: { type: 'InternalServerError', code: 500 },
    })
    const whole = await postJson(agent, `${runtime.url}/v1/chat/completions`, chat('llama3.1:8b', false))
    expect(whole.status).toBe(500)
  })

  it('load-failed: 500 in the API shape; loading: llama-server 503 on every route', async () => {
    const ollama = await startTestRuntime({ fault: { mode: 'load-failed' } })
    const failed = await postJson(testAgent(), `${ollama.url}/api/generate`, {
      model: 'llama3.1:8b',
      prompt: 'hi',
    })
    expect(failed.status).toBe(500)
    expect(JSON.parse(failed.text)).toEqual({
      error: expect.stringContaining('llama runner process has terminated'),
    })

    const llama = await startTestRuntime({
      kind: 'openai',
      server: 'llama-server',
      fault: { mode: 'loading' },
    })
    for (const path of ['/v1/models', '/metrics', '/slots']) {
      const { status, json } = await getJson(testAgent(), `${llama.url}${path}`)
      expect({ path, status, json }).toEqual({
        path,
        status: 503,
        json: { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } },
      })
    }
  })
})

describe('API keys and metrics per server', () => {
  it('vLLM guards /v1/* and leaves /metrics open', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', apiKey: 'sk-vllm' })
    const agent = testAgent()
    expect(await getJson(agent, `${runtime.url}/v1/models`)).toEqual({
      status: 401,
      json: { error: 'Unauthorized' },
    })
    const authorized = await request(`${runtime.url}/v1/models`, {
      dispatcher: agent,
      headers: { authorization: 'Bearer sk-vllm' },
    })
    expect(authorized.statusCode).toBe(200)
    await authorized.body.dump()
    const metrics = await request(`${runtime.url}/metrics`, { dispatcher: agent })
    expect(await metrics.body.text()).toContain('vllm:num_requests_running{model_name="llama3.1:8b"} 0')
  })

  it('llama-server guards /metrics and /slots but not /v1/models, and names its gauges llamacpp:*', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', server: 'llama-server', apiKey: 'k1' })
    const agent = testAgent()
    expect((await getJson(agent, `${runtime.url}/v1/models`)).status).toBe(200)
    expect(await getJson(agent, `${runtime.url}/metrics`)).toEqual({
      status: 401,
      json: { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } },
    })
    const metrics = await request(`${runtime.url}/metrics`, {
      dispatcher: agent,
      headers: { authorization: 'Bearer k1' },
    })
    expect(await metrics.body.text()).toContain('llamacpp:requests_processing 0')
  })

  it('SGLang names its gauges sglang:*', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', server: 'sglang' })
    const metrics = await request(`${runtime.url}/metrics`, { dispatcher: testAgent() })
    const text = await metrics.body.text()
    expect(text).toContain('sglang:num_running_reqs{model_name="llama3.1:8b"} 0')
    expect(text).toContain('sglang:num_queue_reqs{model_name="llama3.1:8b"} 0')
  })
})

describe('Responses and Messages APIs', () => {
  it('answers /v1/responses whole and streamed', async () => {
    const runtime = await startTestRuntime({ kind: 'openai' })
    const agent = testAgent()
    const whole = await postJson(agent, `${runtime.url}/v1/responses`, {
      model: 'llama3.1:8b',
      input: 'hi',
      max_output_tokens: 5,
    })
    expect(JSON.parse(whole.text)).toMatchObject({
      object: 'response',
      output: [{ type: 'message', content: [{ type: 'output_text' }] }],
    })
    const streamed = await postJson(agent, `${runtime.url}/v1/responses`, {
      model: 'llama3.1:8b',
      input: 'hi',
      stream: true,
    })
    const types = streamed.text
      .split('\n')
      .filter((line) => line.startsWith('event: '))
      .map((line) => line.slice(7))
    expect(types[0]).toBe('response.created')
    expect(types).toContain('response.output_text.delta')
    expect(types.at(-1)).toBe('response.completed')
  })

  it('answers /v1/messages whole and streamed, errors in Anthropic shape', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    const body = { model: 'llama3.1:8b', max_tokens: 6, messages: [{ role: 'user', content: 'hi' }] }
    const whole = await postJson(agent, `${runtime.url}/v1/messages`, body)
    expect(JSON.parse(whole.text)).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text' }],
    })
    const streamed = await postJson(agent, `${runtime.url}/v1/messages`, { ...body, stream: true })
    const types = streamed.text
      .split('\n')
      .filter((line) => line.startsWith('event: '))
      .map((line) => line.slice(7))
    expect(types[0]).toBe('message_start')
    expect(types.at(-1)).toBe('message_stop')
    const missing = await postJson(agent, `${runtime.url}/v1/messages`, { ...body, model: 'nope' })
    expect(JSON.parse(missing.text)).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: "model 'nope' not found" },
    })
  })
})
