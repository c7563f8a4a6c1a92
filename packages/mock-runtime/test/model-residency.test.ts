/** A mock Ollama with residency: cold loads cost size ÷ bandwidth, `/api/ps` lists only loaded models. */
import { describe, expect, it } from 'vitest'
import { describeModel } from '../src/model-catalog.js'
import { getJson, postJson, startTestRuntime, testAgent } from './helpers/test-runtime.js'

const LOAD_GBS = 50

async function generate(url: string, agent: ReturnType<typeof testAgent>, model: string) {
  const { status, text } = await postJson(agent, `${url}/api/generate`, {
    model,
    prompt: 'hi',
    stream: false,
  })
  expect(status).toBe(200)
  return JSON.parse(text) as { load_duration: number }
}

async function loadedNames(url: string, agent: ReturnType<typeof testAgent>): Promise<string[]> {
  const { json } = await getJson(agent, `${url}/api/ps`)
  return (json as { models: { name: string }[] }).models.map((model) => model.name)
}

describe('model residency', () => {
  it('loads a cold model once, reports its load_duration, and evicts under OLLAMA_MAX_LOADED_MODELS', async () => {
    const runtime = await startTestRuntime({
      models: ['llama3.1:8b', 'qwen2.5:7b'],
      residency: { vramGiB: 24, loadGBs: LOAD_GBS, maxLoadedModels: 1 },
    })
    const agent = testAgent()
    expect(await loadedNames(runtime.url, agent)).toEqual([])

    const coldNs = Math.round((describeModel('llama3.1:8b').sizeBytes / (LOAD_GBS * 1e9)) * 1000 * 1e6)
    expect((await generate(runtime.url, agent, 'llama3.1:8b')).load_duration).toBe(coldNs)
    expect(await loadedNames(runtime.url, agent)).toEqual(['llama3.1:8b'])
    expect((await generate(runtime.url, agent, 'llama3.1:8b')).load_duration).toBe(0)

    expect((await generate(runtime.url, agent, 'qwen2.5:7b')).load_duration).toBeGreaterThan(0)
    expect(await loadedNames(runtime.url, agent)).toEqual(['qwen2.5:7b'])
  })

  it('without residency settings every model stays listed as loaded', async () => {
    const runtime = await startTestRuntime({ models: ['llama3.1:8b', 'qwen2.5:7b'] })
    expect(await loadedNames(runtime.url, testAgent())).toEqual(['llama3.1:8b', 'qwen2.5:7b'])
  })
})
