import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { EMBEDDING_DIMENSIONS, INSTANCE_HEADER } from '../src/index.js'
import { getJson, postJson, sseData, startTestRuntime, testAgent } from './helpers/test-runtime.js'

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct'
const CHAT = { model: MODEL, messages: [{ role: 'user', content: 'Say hi' }] }

type Chunk = Record<string, unknown> & { choices: Record<string, unknown>[] }

function chunks(text: string): { events: Chunk[]; last: string | undefined } {
  const data = sseData(text)
  const last = data.at(-1)
  return { events: data.slice(0, -1).map((payload) => JSON.parse(payload) as Chunk), last }
}

describe('openai kind (like vLLM)', () => {
  it('POST /v1/chat/completions streams SSE: role, one chunk per token, finish, [DONE]', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL], name: 'vllm-1' })
    const response = await request(`${runtime.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: testAgent(),
      body: JSON.stringify({ ...CHAT, stream: true, max_tokens: 3 }),
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(response.headers[INSTANCE_HEADER]).toBe('vllm-1')
    const { events, last } = chunks(await response.body.text())
    expect(last).toBe('[DONE]')
    expect(events).toHaveLength(5)
    const id = events[0]?.id
    expect(id).toMatch(/^chatcmpl-/)
    for (const event of events) {
      expect(event).toMatchObject({
        id,
        object: 'chat.completion.chunk',
        model: MODEL,
        created: expect.any(Number),
      })
      expect(event).not.toHaveProperty('usage')
    }
    expect(events[0]?.choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ])
    for (const event of events.slice(1, 4)) {
      expect(event.choices).toEqual([
        {
          index: 0,
          delta: { content: expect.stringMatching(/^[a-z]+ $/) },
          logprobs: null,
          finish_reason: null,
        },
      ])
    }
    expect(events[4]?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }])
  })

  it('stream_options.include_usage adds a final usage chunk with empty choices and usage: null elsewhere', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const { text } = await postJson(testAgent(), `${runtime.url}/v1/chat/completions`, {
      ...CHAT,
      stream: true,
      max_tokens: 2,
      stream_options: { include_usage: true },
    })
    const { events, last } = chunks(text)
    expect(last).toBe('[DONE]')
    const usageChunk = events.at(-1)
    expect(usageChunk?.choices).toEqual([])
    expect(usageChunk?.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 })
    for (const event of events.slice(0, -1)) expect(event.usage).toBeNull()
  })

  it('POST /v1/chat/completions without stream answers a chat.completion with usage', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const { status, headers, text } = await postJson(testAgent(), `${runtime.url}/v1/chat/completions`, {
      ...CHAT,
      max_completion_tokens: 4,
    })
    expect(status).toBe(200)
    expect(headers['content-type']).toMatch(/^application\/json/)
    const body = JSON.parse(text)
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: MODEL,
      system_fingerprint: expect.any(String),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: expect.stringMatching(/^([a-z]+ ){4}$/) },
          logprobs: null,
          finish_reason: 'length',
        },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 },
    })
  })

  it('POST /v1/completions streams text_completion chunks and answers one without stream', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const agent = testAgent()
    const streamed = chunks(
      (
        await postJson(agent, `${runtime.url}/v1/completions`, {
          model: MODEL,
          prompt: 'Once',
          max_tokens: 2,
          stream: true,
        })
      ).text,
    )
    expect(streamed.last).toBe('[DONE]')
    expect(streamed.events).toHaveLength(3)
    for (const event of streamed.events) expect(event.object).toBe('text_completion')
    expect(streamed.events[0]?.choices).toEqual([
      { index: 0, text: expect.stringMatching(/^[a-z]+ $/), logprobs: null, finish_reason: null },
    ])
    expect(streamed.events[2]?.choices).toEqual([
      { index: 0, text: '', logprobs: null, finish_reason: 'length' },
    ])
    const whole = JSON.parse(
      (
        await postJson(agent, `${runtime.url}/v1/completions`, {
          model: MODEL,
          prompt: 'Once',
          max_tokens: 2,
        })
      ).text,
    )
    expect(whole).toMatchObject({
      object: 'text_completion',
      model: MODEL,
      choices: [
        {
          index: 0,
          text: streamed.events
            .slice(0, 2)
            .map((event) => event.choices[0]?.text)
            .join(''),
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    })
  })

  it('POST /v1/embeddings answers floats, or base64 float32 as the openai client asks', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const agent = testAgent()
    const floats = JSON.parse(
      (await postJson(agent, `${runtime.url}/v1/embeddings`, { model: MODEL, input: ['one', 'two'] })).text,
    )
    expect(floats).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: expect.any(Array) },
        { object: 'embedding', index: 1, embedding: expect.any(Array) },
      ],
      model: MODEL,
      usage: { prompt_tokens: 2, total_tokens: 2 },
    })
    expect(floats.data[0].embedding).toHaveLength(EMBEDDING_DIMENSIONS)
    const encoded = JSON.parse(
      (
        await postJson(agent, `${runtime.url}/v1/embeddings`, {
          model: MODEL,
          input: 'one',
          encoding_format: 'base64',
        })
      ).text,
    )
    const bytes = Buffer.from(encoded.data[0].embedding as string, 'base64')
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))
    expect(decoded).toHaveLength(EMBEDDING_DIMENSIONS)
    decoded.forEach((value, index) => {
      expect(value).toBeCloseTo(floats.data[0].embedding[index], 6)
    })
  })

  it('GET /v1/models lists the models', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const { status, json } = await getJson(testAgent(), `${runtime.url}/v1/models`)
    expect(status).toBe(200)
    expect(json).toEqual({
      object: 'list',
      data: [{ id: MODEL, object: 'model', created: expect.any(Number), owned_by: 'vllm' }],
    })
  })

  it('answers 404 on the Ollama routes and serves vLLM’s queue gauges at /metrics', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const agent = testAgent()
    const tags = await getJson(agent, `${runtime.url}/api/tags`)
    expect(tags.status).toBe(404)
    expect(tags.json).toEqual({ detail: 'Not Found' })
    const chat = await postJson(agent, `${runtime.url}/api/chat`, CHAT)
    expect(chat.status).toBe(404)
    const metrics = await request(`${runtime.url}/metrics`, { dispatcher: agent })
    const text = await metrics.body.text()
    expect(text).toContain('# TYPE vllm:num_requests_running gauge')
    expect(text).toContain(`vllm:num_requests_running{model_name="${MODEL}"} 0`)
    expect(text).toContain(`vllm:num_requests_waiting{model_name="${MODEL}"} 0`)
  })

  it('an unknown model is 404 NotFoundError; invalid JSON is 400 invalid_request_error', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [MODEL] })
    const agent = testAgent()
    const missing = await postJson(agent, `${runtime.url}/v1/chat/completions`, { ...CHAT, model: 'x' })
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.text)).toEqual({
      error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 },
    })
    const broken = await postJson(agent, `${runtime.url}/v1/chat/completions`, '{')
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.text)).toEqual({
      error: {
        message: expect.stringContaining('invalid JSON'),
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    })
  })

  it('on an ollama kind an unknown /v1 model is 404 with Ollama’s message in the OpenAI shape', async () => {
    const runtime = await startTestRuntime({ kind: 'ollama' })
    const missing = await postJson(testAgent(), `${runtime.url}/v1/chat/completions`, { ...CHAT, model: 'x' })
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.text)).toEqual({
      error: {
        message: 'model "x" not found, try pulling it first',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    })
  })
})
