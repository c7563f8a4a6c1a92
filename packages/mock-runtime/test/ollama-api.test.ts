import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { EMBEDDING_DIMENSIONS, INSTANCE_HEADER } from '../src/index.js'
import { getJson, postJson, startTestRuntime, testAgent } from './helpers/test-runtime.js'

const MODEL = 'llama3.1:8b'
const CHAT = { model: MODEL, messages: [{ role: 'user', content: 'Why is the sky blue?' }] }

const FINAL_NUMBERS = [
  'total_duration',
  'load_duration',
  'prompt_eval_count',
  'prompt_eval_duration',
  'eval_count',
  'eval_duration',
] as const

function ndjson(text: string): Record<string, unknown>[] {
  expect(text.endsWith('\n')).toBe(true)
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('ollama kind: native API', () => {
  it('POST /api/chat streams NDJSON chunk by chunk, ending with done: true and the durations', async () => {
    const runtime = await startTestRuntime({ name: 'gpu-a' })
    const agent = testAgent()
    const response = await request(`${runtime.url}/api/chat`, {
      method: 'POST',
      dispatcher: agent,
      body: JSON.stringify({ ...CHAT, options: { num_predict: 5 } }),
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson')
    expect(response.headers[INSTANCE_HEADER]).toBe('gpu-a')
    let received = ''
    let reads = 0
    for await (const chunk of response.body) {
      received += String(chunk)
      reads++
    }
    const lines = ndjson(received)
    expect(reads).toBeGreaterThanOrEqual(1)
    expect(lines).toHaveLength(6)
    for (const line of lines.slice(0, 5)) {
      expect(Object.keys(line)).toEqual(['model', 'created_at', 'message', 'done'])
      expect(line).toMatchObject({ model: MODEL, done: false, message: { role: 'assistant' } })
      expect(line.message).toEqual({ role: 'assistant', content: expect.stringMatching(/^[a-z]+ $/) })
      expect(new Date(String(line.created_at)).toString()).not.toBe('Invalid Date')
    }
    const final = lines[5] ?? {}
    expect(final).toMatchObject({
      model: MODEL,
      done: true,
      done_reason: 'length',
      eval_count: 5,
      message: { role: 'assistant', content: '' },
    })
    for (const key of FINAL_NUMBERS) expect(Number.isInteger(final[key]), key).toBe(true)
  })

  it('POST /api/chat with stream: false answers one object with the whole message', async () => {
    const runtime = await startTestRuntime()
    const { status, headers, text } = await postJson(testAgent(), `${runtime.url}/api/chat`, {
      ...CHAT,
      stream: false,
      options: { num_predict: 4 },
    })
    expect(status).toBe(200)
    expect(headers['content-type']).toMatch(/^application\/json/)
    const body = JSON.parse(text) as { message: { content: string } } & Record<string, unknown>
    expect(body).toMatchObject({ model: MODEL, done: true, done_reason: 'length', eval_count: 4 })
    expect(body.message.content.trim().split(' ')).toHaveLength(4)
    for (const key of FINAL_NUMBERS) expect(Number.isInteger(body[key]), key).toBe(true)
  })

  it('without num_predict the answer length is drawn from the prompt: same prompt, same answer, done_reason stop', async () => {
    const runtime = await startTestRuntime({ speedScale: 1000 })
    const agent = testAgent()
    const first = JSON.parse(
      (await postJson(agent, `${runtime.url}/api/chat`, { ...CHAT, stream: false })).text,
    )
    const second = JSON.parse(
      (await postJson(agent, `${runtime.url}/api/chat`, { ...CHAT, stream: false })).text,
    )
    expect(first.message.content).toBe(second.message.content)
    expect(first.done_reason).toBe('stop')
    expect(first.eval_count).toBeGreaterThanOrEqual(1)
    expect(first.eval_count).toBeLessThanOrEqual(4096)
  })

  it('POST /api/generate streams `response` chunks; stream: false gives one', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    const streamed = await postJson(agent, `${runtime.url}/api/generate`, {
      model: MODEL,
      prompt: 'Hello',
      options: { num_predict: 3 },
    })
    const lines = ndjson(streamed.text)
    expect(lines).toHaveLength(4)
    expect(Object.keys(lines[0] ?? {})).toEqual(['model', 'created_at', 'response', 'done'])
    expect(lines[3]).toMatchObject({ done: true, done_reason: 'length', response: '', eval_count: 3 })
    const whole = await postJson(agent, `${runtime.url}/api/generate`, {
      model: MODEL,
      prompt: 'Hello',
      stream: false,
      options: { num_predict: 3 },
    })
    const body = JSON.parse(whole.text)
    expect(body).toMatchObject({ model: MODEL, done: true, eval_count: 3 })
    expect(body.response).toBe(
      lines
        .slice(0, 3)
        .map((line) => line.response)
        .join(''),
    )
  })

  it('POST /api/generate with no prompt only loads the model (done_reason load)', async () => {
    const runtime = await startTestRuntime()
    const { status, text } = await postJson(testAgent(), `${runtime.url}/api/generate`, { model: MODEL })
    expect(status).toBe(200)
    expect(JSON.parse(text)).toMatchObject({ model: MODEL, response: '', done: true, done_reason: 'load' })
  })

  it('POST /api/embed embeds a string or an array; /api/embeddings answers the legacy shape', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    const one = JSON.parse(
      (await postJson(agent, `${runtime.url}/api/embed`, { model: MODEL, input: 'a' })).text,
    )
    expect(one.model).toBe(MODEL)
    expect(one.embeddings).toHaveLength(1)
    expect(one.embeddings[0]).toHaveLength(EMBEDDING_DIMENSIONS)
    const many = JSON.parse(
      (await postJson(agent, `${runtime.url}/api/embed`, { model: MODEL, input: ['a', 'b', 'a'] })).text,
    )
    expect(many.embeddings).toHaveLength(3)
    expect(many.embeddings[0]).toEqual(one.embeddings[0])
    expect(many.embeddings[1]).not.toEqual(one.embeddings[0])
    const legacy = JSON.parse(
      (await postJson(agent, `${runtime.url}/api/embeddings`, { model: MODEL, prompt: 'a' })).text,
    )
    expect(Object.keys(legacy)).toEqual(['embedding'])
    expect(legacy.embedding).toEqual(one.embeddings[0])
  })

  it('GET /api/tags, /api/ps and /api/version', async () => {
    const runtime = await startTestRuntime({ models: ['llama3.1:8b', 'qwen2.5:7b'] })
    const agent = testAgent()
    const tags = await getJson(agent, `${runtime.url}/api/tags`)
    expect(tags.status).toBe(200)
    expect(tags.json).toEqual({
      models: [
        {
          name: 'llama3.1:8b',
          model: 'llama3.1:8b',
          modified_at: expect.any(String),
          size: 4_800_000_000,
          digest: expect.stringMatching(/^[0-9a-f]{64}$/),
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'llama',
            families: ['llama'],
            parameter_size: '8.0B',
            quantization_level: 'Q4_K_M',
          },
        },
        expect.objectContaining({ name: 'qwen2.5:7b', details: expect.objectContaining({ family: 'qwen' }) }),
      ],
    })
    const ps = (await getJson(agent, `${runtime.url}/api/ps`)).json as { models: Record<string, unknown>[] }
    expect(ps.models.map((model) => model.name)).toEqual(['llama3.1:8b', 'qwen2.5:7b'])
    expect(Object.keys(ps.models[0] ?? {}).sort()).toEqual(
      ['details', 'digest', 'expires_at', 'model', 'name', 'size', 'size_vram'].sort(),
    )
    expect((await getJson(agent, `${runtime.url}/api/version`)).json).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    })
  })

  it('an unknown model is 404 with Ollama’s message; a model without tag means :latest', async () => {
    const runtime = await startTestRuntime({ models: ['llama3.1:8b', 'mistral:latest'] })
    const agent = testAgent()
    const missing = await postJson(agent, `${runtime.url}/api/chat`, { ...CHAT, model: 'x' })
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.text)).toEqual({ error: 'model "x" not found, try pulling it first' })
    const latest = await postJson(agent, `${runtime.url}/api/chat`, {
      ...CHAT,
      model: 'mistral',
      stream: false,
      options: { num_predict: 1 },
    })
    expect(latest.status).toBe(200)
  })

  it('invalid JSON and a missing model are 400 with { error }', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    const broken = await postJson(agent, `${runtime.url}/api/chat`, '{"model":')
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.text)).toEqual({ error: expect.stringContaining('invalid JSON') })
    const noModel = await postJson(agent, `${runtime.url}/api/chat`, { messages: [] })
    expect(noModel.status).toBe(400)
    expect(JSON.parse(noModel.text)).toEqual({ error: expect.stringContaining('model') })
  })

  it('also serves the OpenAI routes, as real Ollama does', async () => {
    const runtime = await startTestRuntime()
    const models = await getJson(testAgent(), `${runtime.url}/v1/models`)
    expect(models.json).toEqual({
      object: 'list',
      data: [{ id: MODEL, object: 'model', created: expect.any(Number), owned_by: 'library' }],
    })
  })

  it('GET / says Ollama is running; unknown paths are a plain 404', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    const root = await request(`${runtime.url}/`, { dispatcher: agent })
    expect(await root.body.text()).toBe('Ollama is running')
    const missing = await request(`${runtime.url}/api/nope`, { dispatcher: agent })
    expect(missing.statusCode).toBe(404)
    await missing.body.dump()
  })
})
