import { startMockRuntime } from '@llm-fleet/mock-runtime'
import { describe, expect, it, onTestFinished } from 'vitest'
import { captureLog } from '../../test/helpers/capture-log.js'
import { OLLAMA_ROUTES, startFakeRuntime } from '../../test/helpers/fake-runtime.js'
import {
  parseActiveRequests,
  parseVllmActiveRequests,
  REDISCOVER_EVERY_PROBES,
  RuntimeProbe,
} from './detect-runtime.js'

const OPENAI_MODELS = { object: 'list', data: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model' }] }
/** A vLLM started with `--api-key sk-1`: `/v1/models` answers 401 without it. */
const VLLM_WITH_KEY = { kind: 'openai', profile: 'a100', models: ['m'], port: 0, apiKey: 'sk-1' } as const

describe('RuntimeProbe', () => {
  it('detects Ollama and reads served and loaded models', async () => {
    const runtime = await startFakeRuntime(OLLAMA_ROUTES)
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'auto' })
    expect(await probe.probe()).toMatchObject({
      kind: 'ollama',
      status: { up: true, models: ['llama3.1:8b', 'qwen2.5:7b'], loadedModels: ['llama3.1:8b'] },
      activeRequests: 0,
      version: '0.5.7',
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

async function mockRuntime(options: Parameters<typeof startMockRuntime>[0]) {
  const runtime = await startMockRuntime(options)
  onTestFinished(() => runtime.close())
  return runtime
}

describe('RuntimeProbe against the mock of each real server (issue 12)', () => {
  it("reads Ollama's sizes, digests, details and loaded models into wire-valid fields", async () => {
    const runtime = await mockRuntime({ kind: 'ollama', profile: 'a100', models: ['llama3.1:8b'], port: 0 })
    const result = await new RuntimeProbe({ url: runtime.url, kind: 'auto' }).probe()
    expect(result.modelDetails?.[0]).toMatchObject({
      name: 'llama3.1:8b',
      sizeBytes: expect.any(Number),
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { family: 'llama', quantizationLevel: 'Q4_K_M' },
    })
    expect(result.status.loaded?.[0]).toMatchObject({ name: 'llama3.1:8b', expiresAt: expect.any(String) })
    expect(result.version).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('a vLLM started with --api-key: up with RUNTIME_API_KEY, down without', async () => {
    const runtime = await mockRuntime(VLLM_WITH_KEY)
    expect((await new RuntimeProbe({ url: runtime.url, kind: 'auto' }).probe()).status.up).toBe(false)
    const withKey = await new RuntimeProbe({ url: runtime.url, kind: 'auto', apiKey: 'sk-1' }).probe()
    expect(withKey).toMatchObject({ kind: 'openai', status: { up: true, models: ['m'] } })
  })

  it('llama-server with --api-key: /metrics is read with the key (it is not public there)', async () => {
    const runtime = await mockRuntime({
      kind: 'openai',
      server: 'llama-server',
      profile: 'a100',
      models: ['m'],
      port: 0,
      apiKey: 'k',
    })
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'openai', apiKey: 'k' })
    expect(await probe.probe()).toMatchObject({ status: { up: true }, activeRequests: 0 })
  })

  it('asks again after llama-server answered 503 while loading, and finds its metrics once loaded', async () => {
    let phase: 'loading' | 'ready' = 'loading'
    let metricsHits = 0
    const fetchLike: typeof fetch = async (input) => {
      const path = new URL(String(input)).pathname
      if (phase === 'loading') {
        return new Response(
          JSON.stringify({ error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }),
          { status: 503 },
        )
      }
      if (path === '/v1/models') return Response.json({ data: [{ id: 'm' }] })
      if (path === '/metrics') {
        metricsHits++
        return new Response('llamacpp:requests_processing 2\nllamacpp:requests_deferred 1\n')
      }
      return new Response('not found', { status: 404 })
    }
    const probe = new RuntimeProbe({ url: 'http://runtime:8080', kind: 'openai', fetch: fetchLike })
    expect((await probe.probe()).status.up).toBe(false)
    phase = 'ready'
    expect((await probe.probe()).activeRequests).toBe(3)
    expect(metricsHits).toBe(1)
  })

  it('logs once why a vLLM with --api-key looks down (no RUNTIME_API_KEY), and once when it answers', async () => {
    const runtime = await mockRuntime(VLLM_WITH_KEY)
    const captured = captureLog()
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'auto', log: captured.log })
    await probe.probe()
    await probe.probe()
    const down = captured.find(/runtime not answering/)
    expect(down).toHaveLength(1)
    expect(down[0]).toMatchObject({
      runtimeUrl: runtime.url,
      reason: '/v1/models answered HTTP 401',
      hint: 'the runtime demands a key: set RUNTIME_API_KEY to its --api-key',
    })

    const withKey = new RuntimeProbe({ url: runtime.url, kind: 'auto', apiKey: 'sk-1', log: captured.log })
    await withKey.probe()
    await withKey.probe()
    expect(captured.find(/runtime answering/)).toEqual([
      expect.objectContaining({ kind: 'openai', models: 1 }),
    ])
  })

  it('logs a RUNTIME_URL that misses the API root and a runtime that is not listening, with what to fix', async () => {
    const runtime = await mockRuntime({ kind: 'openai', profile: 'a100', models: ['m'], port: 0 })
    const captured = captureLog()
    await new RuntimeProbe({ url: `${runtime.url}/v1`, kind: 'openai', log: captured.log }).probe()
    const closed = await startFakeRuntime({})
    await closed.close()
    await new RuntimeProbe({ url: closed.url, kind: 'ollama', log: captured.log }).probe()
    expect(captured.find(/runtime not answering/)).toEqual([
      expect.objectContaining({
        reason: '/v1/models answered HTTP 404',
        hint: "RUNTIME_URL must be the runtime's root (http://host:port, without /v1)",
      }),
      expect.objectContaining({ reason: '/api/tags: ECONNREFUSED', hint: 'nothing listens at RUNTIME_URL' }),
    ])
  })

  it('looks for a source again every REDISCOVER_EVERY_PROBES probes after finding none', async () => {
    const runtime = await startFakeRuntime({ '/v1/models': OPENAI_MODELS })
    const probe = new RuntimeProbe({ url: runtime.url, kind: 'openai' })
    for (let i = 0; i <= REDISCOVER_EVERY_PROBES; i++) await probe.probe()
    expect(runtime.hits.filter((path) => path === '/metrics')).toHaveLength(2)
  })
})

describe('parseActiveRequests', () => {
  it('reads SGLang, llama.cpp server and TGI gauges as well as vLLM', () => {
    expect(
      parseActiveRequests(
        'sglang:num_running_reqs{model_name="m"} 4.0\nsglang:num_queue_reqs{model_name="m"} 2.0\n',
      ),
    ).toBe(6)
    expect(parseActiveRequests('llamacpp:requests_processing 1\nllamacpp:requests_deferred 3\n')).toBe(4)
    expect(
      parseActiveRequests('tgi_batch_current_size 3\ntgi_queue_size 2\ntgi_batch_current_max_tokens 2048\n'),
    ).toBe(5)
    expect(parseActiveRequests('llamacpp:prompt_tokens_total 100\n')).toBeNull()
  })
})
