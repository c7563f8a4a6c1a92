import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import type { GpuProfile } from '../src/index.js'
import { postJson, startTestRuntime, testAgent, waitUntil } from './helpers/test-runtime.js'

const MODEL = 'llama3.1:8b'
// Slow enough that a 10 000-token answer is still running when the test looks: 2 slots.
const TWO_SLOTS: GpuProfile = {
  id: 'two-slots',
  gpuName: 'Test',
  memoryBandwidthGBs: 100,
  singleTokensPerS: 50,
  ttftMs: 1,
  slots: 2,
  batchingExponent: 0.5,
}

function streamChat(url: string, agent: ReturnType<typeof testAgent>, signal: AbortSignal) {
  return request(`${url}/api/chat`, {
    method: 'POST',
    dispatcher: agent,
    signal,
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: 'long' }],
      options: { num_predict: 10_000 },
    }),
  })
}

describe('slots, queue and aborts', () => {
  it('requests beyond the slot limit queue; an abort frees its slot for the queue head', async () => {
    const runtime = await startTestRuntime({ profile: TWO_SLOTS, speedScale: 1 })
    const agent = testAgent()
    const controllers = [new AbortController(), new AbortController(), new AbortController()]
    const responses = controllers.map((controller) =>
      streamChat(runtime.url, agent, controller.signal).catch((error: unknown) => error),
    )
    await waitUntil('2 active and 1 queued', () => {
      const stats = runtime.stats()
      return stats.active === 2 && stats.queued === 1
    })
    controllers[0]?.abort()
    await waitUntil('the queued request to take the freed slot', () => {
      const stats = runtime.stats()
      return stats.active === 2 && stats.queued === 0 && stats.aborted === 1
    })
    controllers[1]?.abort()
    controllers[2]?.abort()
    await waitUntil('every slot free', () => runtime.stats().active === 0)
    expect(runtime.stats()).toMatchObject({ active: 0, queued: 0, aborted: 3, completed: 0, requests: 3 })
    await Promise.all(responses)
  })

  it('a mock Ollama gives each model its own slots, whatever the spelling, as each Ollama runner has its own; an OpenAI server shares one set', async () => {
    const models = [MODEL, 'qwen2.5:7b']
    const chat = (url: string, model: string, signal: AbortSignal) =>
      request(`${url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          max_tokens: 10_000,
          stream: true,
          messages: [{ role: 'user', content: 'long' }],
        }),
      }).catch((error: unknown) => error)
    const agent = testAgent()
    const controller = new AbortController()
    for (const kind of ['ollama', 'openai'] as const) {
      const runtime = await startTestRuntime({ kind, models, profile: TWO_SLOTS, speedScale: 1 })
      // Ollama answers to any spelling of a name; each spelling is still the one model and runner.
      const llamas = kind === 'ollama' ? [MODEL, 'Llama3.1:8b', 'library/LLAMA3.1:8B'] : [MODEL, MODEL, MODEL]
      const answers = [...llamas, 'qwen2.5:7b'].map((model) => chat(runtime.url, model, controller.signal))
      const expected = kind === 'ollama' ? { active: 3, queued: 1 } : { active: 2, queued: 2 }
      await waitUntil(`${kind}: ${expected.active} active and ${expected.queued} queued`, () => {
        const { active, queued } = runtime.stats()
        return active === expected.active && queued === expected.queued
      })
      await runtime.close()
      await Promise.all(answers)
    }
    controller.abort()
  })

  it('a client that disconnects mid-stream stops generation and is counted as aborted', async () => {
    const runtime = await startTestRuntime({ profile: TWO_SLOTS, speedScale: 10 })
    const agent = testAgent()
    const controller = new AbortController()
    const response = await streamChat(runtime.url, agent, controller.signal)
    const iterator = response.body[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(JSON.parse(String(first.value).split('\n')[0] ?? '')).toMatchObject({ done: false })
    controller.abort()
    await waitUntil('the slot to be freed', () => runtime.stats().active === 0)
    const tokensAtAbort = runtime.stats().totalTokens
    expect(runtime.stats()).toMatchObject({ aborted: 1, completed: 0 })
    expect(tokensAtAbort).toBeLessThan(10_000)
  })

  it('POST /_mock/reset zeroes the counters; GET /_mock/stats reports them', async () => {
    const runtime = await startTestRuntime()
    const agent = testAgent()
    await postJson(agent, `${runtime.url}/api/generate`, {
      model: MODEL,
      prompt: 'a',
      stream: false,
      options: { num_predict: 3 },
    })
    const stats = await request(`${runtime.url}/_mock/stats`, { dispatcher: agent })
    expect(await stats.body.json()).toEqual({
      active: 0,
      queued: 0,
      peak: 1,
      requests: 1,
      completed: 1,
      aborted: 0,
      faulted: 0,
      totalTokens: 3,
    })
    const reset = await postJson(agent, `${runtime.url}/_mock/reset`, '')
    expect(reset.status).toBe(200)
    expect(runtime.stats()).toMatchObject({ requests: 0, completed: 0, totalTokens: 0, peak: 0 })
  })
})
