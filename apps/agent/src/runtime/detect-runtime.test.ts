import { describe, expect, it } from 'vitest'
import { OLLAMA_ROUTES, startFakeRuntime } from '../../test/helpers/fake-runtime.js'
import { parseVllmActiveRequests, RuntimeProbe } from './detect-runtime.js'

const OPENAI_MODELS = { object: 'list', data: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model' }] }

describe('RuntimeProbe', () => {
  it('detects Ollama and reads served and loaded models', async () => {
    const runtime = await startFakeRuntime(OLLAMA_ROUTES)
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'auto' })
    expect(await probe.probe()).toEqual({
      kind: 'ollama',
      status: { up: true, models: ['llama3.1:8b', 'qwen2.5:7b'], loadedModels: ['llama3.1:8b'] },
      activeRequests: 0,
    })
    expect(probe.kind).toBe('ollama')
  })

  it('detects an OpenAI-compatible runtime and counts vLLM running + waiting requests', async () => {
    const metrics = [
      '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
      'vllm:num_requests_running{model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0',
      'vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0',
      'vllm:num_requests_swapped{model_name="meta-llama/Llama-3.1-8B-Instruct"} 7.0',
    ].join('\n')
    const runtime = await startFakeRuntime({ '/v1/models': OPENAI_MODELS, '/metrics': metrics })
    const result = await new RuntimeProbe({ url: runtime.url, kind: 'auto' }).probe()
    expect(result).toEqual({
      kind: 'openai',
      status: { up: true, models: ['meta-llama/Llama-3.1-8B-Instruct'], loadedModels: [] },
      activeRequests: 5,
    })
  })

  it('counts busy llama.cpp server slots', async () => {
    const slots = [
      { id: 0, is_processing: true },
      { id: 1, is_processing: false },
      { id: 2, is_processing: true },
    ]
    const runtime = await startFakeRuntime({ '/v1/models': OPENAI_MODELS, '/slots': slots })
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'openai' })
    expect((await probe.probe()).activeRequests).toBe(2)
    // Found once: later probes go straight to /slots, without asking /metrics again.
    await probe.probe()
    expect(runtime.hits.filter((path) => path === '/metrics')).toHaveLength(1)
  })

  it('reports 0 active requests and stops asking where the runtime exposes no count', async () => {
    const runtime = await startFakeRuntime({ '/v1/models': OPENAI_MODELS })
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'openai' })
    expect((await probe.probe()).activeRequests).toBe(0)
    await probe.probe()
    expect(runtime.hits.filter((path) => path === '/metrics' || path === '/slots')).toHaveLength(2)
  })

  it('reports a runtime that is down as not up, without throwing', async () => {
    const runtime = await startFakeRuntime({})
    await runtime.close()
    const result = await new RuntimeProbe({ url: runtime.url, kind: 'auto', timeoutMs: 500 }).probe()
    expect(result).toEqual({
      kind: null,
      status: { up: false, models: [], loadedModels: [] },
      activeRequests: 0,
    })
  })

  it('keeps a configured kind while the runtime is down', async () => {
    const runtime = await startFakeRuntime({})
    const result = await new RuntimeProbe({ url: runtime.url, kind: 'ollama' }).probe()
    expect(result.kind).toBe('ollama')
    expect(result.status.up).toBe(false)
  })
})

describe('parseVllmActiveRequests', () => {
  it('sums running and waiting over models, and is null for non-vLLM metrics', () => {
    expect(
      parseVllmActiveRequests(
        'vllm:num_requests_running{model_name="a"} 1\nvllm:num_requests_running{model_name="b"} 2\n',
      ),
    ).toBe(3)
    expect(parseVllmActiveRequests('process_cpu_seconds_total 12\n')).toBeNull()
  })
})
