/**
 * The clients people point at Ollama or OpenAI-compatible servers, pointed at the coordinator of a fleet
 * of real processes (coordinator, agents, mock runtimes): the Vercel AI SDK's default provider (it calls
 * the Responses API), the Anthropic SDK (Messages API), LangChain's ChatOpenAI and ChatOllama,
 * ollama-js `list`, `ps` and `show`, and the request sequence of the `ollama` CLI over raw HTTP.
 * Each failed before issue 12: `/v1/responses`, `/v1/messages`, `/api/ps`, `/api/show` and `HEAD /`
 * were 404s, and `/api/tags` had no sizes, digests or details.
 */
import { createOpenAI } from '@ai-sdk/openai'
import Anthropic from '@anthropic-ai/sdk'
import { ChatOllama } from '@langchain/ollama'
import { ChatOpenAI } from '@langchain/openai'
import { generateText, streamText } from 'ai'
import { Ollama } from 'ollama'
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { DEMO_HOSTS, DEMO_MODEL } from '../src/simulated-host.js'
import { useFleet } from './helpers/use-fleet.js'

const fleet = useFleet()
const HOST_NAMES = DEMO_HOSTS.map((host) => host.name)
const url = () => fleet().coordinatorUrl

describe('the Vercel AI SDK, default OpenAI provider (Responses API)', () => {
  const model = () => createOpenAI({ baseURL: `${url()}/v1`, apiKey: 'unused' })(DEMO_MODEL)

  it('generateText', async () => {
    const result = await generateText({ model: model(), prompt: 'Name three GPUs.', maxOutputTokens: 8 })
    expect(result.text).toMatch(/\S/)
    expect(result.usage.outputTokens).toBe(8)
    expect(HOST_NAMES).toContain(result.response.headers?.['x-fleet-node'])
  })

  it('streamText', async () => {
    const result = streamText({ model: model(), prompt: 'Name three GPUs.', maxOutputTokens: 12 })
    const parts: string[] = []
    for await (const part of result.textStream) parts.push(part)
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.join('')).toMatch(/\S/)
    expect((await result.usage).outputTokens).toBe(12)
  })
})

describe('the Anthropic SDK (Messages API)', () => {
  const client = () => new Anthropic({ baseURL: url(), apiKey: 'unused', maxRetries: 0 })
  const messages = [{ role: 'user' as const, content: 'Name three GPUs.' }]

  it('creates a message', async () => {
    const { data, response } = await client()
      .messages.create({ model: DEMO_MODEL, max_tokens: 8, messages })
      .withResponse()
    expect(data.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/\S/) })
    expect(data.usage.output_tokens).toBe(8)
    expect(HOST_NAMES).toContain(response.headers.get('x-fleet-node'))
  })

  it('streams a message', async () => {
    const stream = client().messages.stream({ model: DEMO_MODEL, max_tokens: 12, messages })
    const deltas: string[] = []
    stream.on('text', (text) => deltas.push(text))
    const final = await stream.finalMessage()
    expect(deltas.length).toBeGreaterThan(1)
    expect(final.content[0]).toMatchObject({ type: 'text', text: deltas.join('') })
  })

  it('reads a model no node serves as a NotFoundError', async () => {
    await expect(
      client().messages.create({ model: 'no-such-model', max_tokens: 8, messages }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError)
  })
})

describe('LangChain', () => {
  it('ChatOpenAI invokes and streams', async () => {
    const chat = new ChatOpenAI({
      model: DEMO_MODEL,
      apiKey: 'unused',
      maxTokens: 8,
      maxRetries: 0,
      configuration: { baseURL: `${url()}/v1` },
    })
    const answer = await chat.invoke('Name three GPUs.')
    expect(String(answer.content)).toMatch(/\S/)
    const chunks: string[] = []
    for await (const chunk of await chat.stream('Name three GPUs.')) chunks.push(String(chunk.content))
    expect(chunks.join('')).toMatch(/\S/)
  })

  it('ChatOllama invokes and streams', async () => {
    const chat = new ChatOllama({ model: DEMO_MODEL, baseUrl: url(), numPredict: 8 })
    const answer = await chat.invoke('Name three GPUs.')
    expect(String(answer.content)).toMatch(/\S/)
    const chunks: string[] = []
    for await (const chunk of await chat.stream('Name three GPUs.')) chunks.push(String(chunk.content))
    expect(chunks.join('')).toMatch(/\S/)
  })
})

describe('ollama-js list, ps and show', () => {
  const client = () => new Ollama({ host: url() })

  it('lists models with the sizes, digests and details the runtimes report', async () => {
    const { models } = await client().list()
    const model = models.find((entry) => entry.name === DEMO_MODEL)
    expect(model?.size).toBeGreaterThan(0)
    expect(model?.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(model?.details).toMatchObject({ family: 'llama', quantization_level: 'Q4_K_M' })
    expect(new Date(String(model?.modified_at)).getFullYear()).toBeGreaterThan(2000)
  })

  it('lists running models with their VRAM and expiry', async () => {
    const { models } = await client().ps()
    const model = models.find((entry) => entry.name === DEMO_MODEL)
    expect(model?.size_vram).toBeGreaterThan(0)
    expect(new Date(String(model?.expires_at)).getTime()).toBeGreaterThan(Date.now())
  })

  it('shows a model, with any spelling Ollama accepts', async () => {
    const shown = await client().show({ model: 'Llama3.1:8B' })
    expect(shown.details).toMatchObject({ family: 'llama' })
  })
})

describe("the ollama CLI's request sequence over raw HTTP (run, then list)", () => {
  it('HEAD /, POST /api/show, POST /api/chat; then GET /api/tags with digests of 12+ characters', async () => {
    // cmd/cmd.go: every command checks the server with HEAD / first; `run` shows the model (and pulls
    // it on 404), then chats; `list` prints digest[:12].
    const head = await request(`${url()}/`, { method: 'HEAD' })
    await head.body.dump()
    expect(head.statusCode).toBe(200)
    const post = (path: string, body: object) =>
      request(`${url()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const show = await post('/api/show', { model: DEMO_MODEL })
    expect(show.statusCode).toBe(200)
    await show.body.dump()
    const chat = await post('/api/chat', {
      model: DEMO_MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      options: { num_predict: 4 },
    })
    const lines = (await chat.body.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.at(-1)).toMatchObject({ done: true })
    const tags = await request(`${url()}/api/tags`)
    const { models } = (await tags.body.json()) as { models: { digest: string }[] }
    expect(models.length).toBeGreaterThan(0)
    for (const model of models) expect(model.digest.length).toBeGreaterThanOrEqual(12)
  })
})
