/**
 * The official `openai` and `ollama` npm clients, pointed at the coordinator, work end to end through
 * real agents and mock runtimes: chat streaming and not, model lists, embeddings.
 */
import { describe, expect, it } from 'vitest'
import { DEMO_HOSTS, DEMO_MODEL } from '../src/simulated-host.js'
import { ollamaClient as connectOllama, openaiClient as connectOpenai } from './helpers/official-clients.js'
import { useFleet } from './helpers/use-fleet.js'

const fleet = useFleet()
const HOST_NAMES = DEMO_HOSTS.map((host) => host.name)
const messages = [{ role: 'user' as const, content: 'Name three GPUs.' }]

const openaiClient = () => connectOpenai(fleet().coordinatorUrl)
const ollamaClient = () => connectOllama(fleet().coordinatorUrl)

describe('the openai client', () => {
  it('completes a chat request without streaming', async () => {
    const { data, response } = await openaiClient()
      .chat.completions.create({ model: DEMO_MODEL, messages, max_tokens: 8 })
      .withResponse()
    expect(data.object).toBe('chat.completion')
    expect(data.choices[0]?.message.content).toMatch(/\S/)
    expect(data.usage?.completion_tokens).toBe(8)
    expect(HOST_NAMES).toContain(response.headers.get('x-fleet-node'))
    expect(response.headers.get('x-fleet-reason')).toMatch(/\S/)
  })

  it('streams a chat completion chunk by chunk, with usage at the end', async () => {
    const { data: stream, response } = await openaiClient()
      .chat.completions.create({
        model: DEMO_MODEL,
        messages,
        max_tokens: 12,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse()
    expect(HOST_NAMES).toContain(response.headers.get('x-fleet-node'))
    let content = ''
    let contentChunks = 0
    let completionTokens: number | undefined
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content
      if (delta) {
        content += delta
        contentChunks += 1
      }
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens
    }
    expect(contentChunks).toBeGreaterThan(1)
    expect(content).toMatch(/\S/)
    expect(completionTokens).toBe(12)
  })

  it('lists the models the fleet serves', async () => {
    const models = await openaiClient().models.list()
    expect(models.data.map((model) => model.id)).toContain(DEMO_MODEL)
  })

  it('embeds several inputs', async () => {
    const { data } = await openaiClient().embeddings.create({ model: DEMO_MODEL, input: ['one', 'two'] })
    expect(data).toHaveLength(2)
    const [first, second] = data
    expect(first?.embedding.length).toBeGreaterThan(0)
    expect(second?.embedding).toHaveLength(first?.embedding.length ?? -1)
  })
})

describe('the ollama client', () => {
  it('completes a chat request without streaming', async () => {
    const { client, servedBy } = ollamaClient()
    const response = await client.chat({
      model: DEMO_MODEL,
      messages,
      stream: false,
      options: { num_predict: 8 },
    })
    expect(response.done).toBe(true)
    expect(response.message.role).toBe('assistant')
    expect(response.message.content).toMatch(/\S/)
    expect(response.eval_count).toBe(8)
    expect(HOST_NAMES).toContain(servedBy[0])
  })

  it('streams a chat answer part by part, ending with done', async () => {
    const { client, servedBy } = ollamaClient()
    const stream = await client.chat({
      model: DEMO_MODEL,
      messages,
      stream: true,
      options: { num_predict: 12 },
    })
    const parts = []
    for await (const part of stream) parts.push(part)
    expect(parts.length).toBeGreaterThan(2)
    expect(parts.at(-1)?.done).toBe(true)
    expect(parts.at(-1)?.eval_count).toBe(12)
    expect(
      parts
        .map((part) => part.message.content)
        .join('')
        .trim(),
    ).not.toBe('')
    expect(HOST_NAMES).toContain(servedBy[0])
  })

  it('generates a completion', async () => {
    const { client } = ollamaClient()
    const response = await client.generate({
      model: DEMO_MODEL,
      prompt: 'Why is the sky blue?',
      stream: false,
      options: { num_predict: 6 },
    })
    expect(response.done).toBe(true)
    expect(response.response).toMatch(/\S/)
  })

  it('lists the models the fleet serves', async () => {
    const { client } = ollamaClient()
    const { models } = await client.list()
    expect(models.map((model) => model.name)).toContain(DEMO_MODEL)
  })

  it('embeds several inputs', async () => {
    const { client, servedBy } = ollamaClient()
    const response = await client.embed({ model: DEMO_MODEL, input: ['one', 'two'] })
    expect(response.embeddings).toHaveLength(2)
    expect(response.embeddings[0]?.length).toBeGreaterThan(0)
    expect(HOST_NAMES).toContain(servedBy[0])
  })
})
