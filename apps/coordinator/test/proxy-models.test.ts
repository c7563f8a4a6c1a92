import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { startProxyHarness } from './helpers/proxy-harness.js'
import { createClient } from './helpers/start-coordinator.js'

describe('model lists and version', () => {
  it('lists the union of models over online nodes: every runtime for OpenAI, Ollama runtimes for Ollama', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url, { kind: 'ollama', models: ['llama3.1:8b', 'qwen2.5:7b'] })
    coordinator.addNode(`${runtime.url}/other`, { kind: 'ollama', models: ['qwen2.5:7b'] })
    coordinator.addNode(`${runtime.url}/vllm`, { kind: 'openai', models: ['meta-llama/Llama-3.1-8B'] })
    const drainingId = coordinator.addNode(`${runtime.url}/draining`, { models: ['only-on-draining'] })
    coordinator.registry.drain(drainingId)
    const client = createClient()

    const openAi = await client.request({ origin: coordinator.url, path: '/v1/models', method: 'GET' })
    expect(await openAi.body.json()).toEqual({
      object: 'list',
      data: ['llama3.1:8b', 'meta-llama/Llama-3.1-8B', 'qwen2.5:7b'].map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'llm-fleet',
      })),
    })

    const ollama = await client.request({ origin: coordinator.url, path: '/api/tags', method: 'GET' })
    const tags = (await ollama.body.json()) as { models: { name: string }[] }
    expect(tags.models.map((model) => model.name)).toEqual(['llama3.1:8b', 'qwen2.5:7b'])
    expect(tags.models[0]).toMatchObject({ name: 'llama3.1:8b', model: 'llama3.1:8b', size: 0 })
  })

  it('answers /api/version', async () => {
    const coordinator = await startProxyHarness()
    const response = await createClient().request({
      origin: coordinator.url,
      path: '/api/version',
      method: 'GET',
    })
    expect(await response.body.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) })
  })
})
