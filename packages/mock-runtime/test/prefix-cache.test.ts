/**
 * A mock runtime with a prefix cache: a prompt's cached leading blocks are not prefilled again. Ollama
 * keeps counting the whole prompt in prompt_eval_count and times only the uncached part in
 * prompt_eval_duration; vLLM reports the cached part in usage.prompt_tokens_details.cached_tokens.
 */
import { describe, expect, it } from 'vitest'
import { describeModel } from '../src/model-catalog.js'
import { GPU_PROFILES } from '../src/profiles.js'
import { prefillMs } from '../src/prompt-gate.js'
import { postJson, startTestRuntime, testAgent } from './helpers/test-runtime.js'

/** Seven full 64-token blocks (256 characters each) and a partial one. */
const SYSTEM = 'You are a careful assistant. '.repeat(70).slice(0, 7 * 256 + 100)

interface OllamaFinal {
  load_duration: number
  prompt_eval_count: number
  prompt_eval_duration: number
  message: { content: string }
}

async function ollamaChat(url: string, agent: ReturnType<typeof testAgent>, model: string, user: string) {
  const { status, text } = await postJson(agent, `${url}/api/chat`, {
    model,
    stream: false,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    options: { num_predict: 4 },
  })
  expect(status).toBe(200)
  return JSON.parse(text) as OllamaFinal
}

describe('prefix cache (Ollama)', () => {
  it('prefills only the uncached part again, and forgets a model’s blocks once it is unloaded', async () => {
    const runtime = await startTestRuntime({
      models: ['llama3.1:8b', 'qwen2.5:7b'],
      residency: { vramGiB: 24, loadGBs: 50, maxLoadedModels: 1 },
      prefixCache: {},
    })
    const agent = testAgent()
    const model = describeModel('llama3.1:8b')
    const first = await ollamaChat(runtime.url, agent, model.name, 'first question')
    const promptTokens = Math.ceil((SYSTEM.length + '\nfirst question'.length) / 4)
    expect(first.load_duration).toBeGreaterThan(0)
    expect(first.prompt_eval_count).toBe(promptTokens)
    expect(first.prompt_eval_duration).toBe(
      Math.round(prefillMs(GPU_PROFILES.a100, model, promptTokens) * 1e6),
    )

    const second = await ollamaChat(runtime.url, agent, model.name, 'other question')
    expect(second.load_duration).toBe(0)
    // The whole prompt still counts (llm/llama_server.go: cache_n + prompt_n)...
    expect(second.prompt_eval_count).toBe(Math.ceil((SYSTEM.length + '\nother question'.length) / 4))
    // ...but only what follows the 7 cached blocks is evaluated.
    expect(second.prompt_eval_duration).toBe(
      Math.round(prefillMs(GPU_PROFILES.a100, model, second.prompt_eval_count - 7 * 64) * 1e6),
    )
    expect(second.prompt_eval_duration).toBeLessThan(first.prompt_eval_duration)

    // Another model evicts the first (one runner at most); its KV goes with it.
    expect(
      (await ollamaChat(runtime.url, agent, 'qwen2.5:7b', 'first question')).load_duration,
    ).toBeGreaterThan(0)
    const again = await ollamaChat(runtime.url, agent, model.name, 'first question')
    expect(again.load_duration).toBeGreaterThan(0)
    expect(again.prompt_eval_duration).toBe(first.prompt_eval_duration)
  })
})

describe('prefix cache (vLLM)', () => {
  async function chat(url: string, agent: ReturnType<typeof testAgent>, messages: unknown[]) {
    const { status, text } = await postJson(agent, `${url}/v1/chat/completions`, {
      model: 'llama3.1:8b',
      messages,
      max_tokens: 40,
    })
    expect(status).toBe(200)
    return JSON.parse(text) as {
      choices: { message: { content: string } }[]
      usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } }
    }
  }

  it('reports cached_tokens only when some were cached, and caches the answer for the next turn', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', prefixCache: { vramGiB: 24 } })
    const agent = testAgent()
    const system = { role: 'system', content: SYSTEM }
    const turn1 = [system, { role: 'user', content: 'hello' }]
    const first = await chat(runtime.url, agent, turn1)
    expect(first.usage.prompt_tokens_details).toBeUndefined()

    const other = await chat(runtime.url, agent, [system, { role: 'user', content: 'something else' }])
    expect(other.usage.prompt_tokens_details).toEqual({ cached_tokens: 7 * 64 })

    // The next turn repeats turn 1 and its answer: every full block of those is cached.
    const answer = first.choices[0]?.message.content ?? ''
    const turn2 = [...turn1, { role: 'assistant', content: answer }, { role: 'user', content: 'and then?' }]
    const second = await chat(runtime.url, agent, turn2)
    const prefixChars = `${SYSTEM}\nhello\n${answer}`.length
    expect(second.usage.prompt_tokens_details).toEqual({ cached_tokens: Math.floor(prefixChars / 256) * 64 })
    expect(Math.floor(prefixChars / 256)).toBeGreaterThan(7)
  })

  it('refuses a prefix cache without any VRAM to size it by', async () => {
    await expect(startTestRuntime({ kind: 'openai', prefixCache: {} })).rejects.toThrow(/vramGiB/)
  })
})
