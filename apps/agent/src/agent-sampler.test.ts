import { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { afterEach, describe, expect, it } from 'vitest'
import { captureLog } from '../test/helpers/capture-log.js'
import { OLLAMA_ROUTES, startFakeRuntime } from '../test/helpers/fake-runtime.js'
import { fakeNvidiaSmiFor } from '../test/helpers/run-agent.js'
import { AgentSampler, gpuMemoryUsedPercent, meanGpuUtilization } from './agent-sampler.js'
import { GpuMonitor } from './gpu/gpu-monitor.js'
import { CpuMemorySampler } from './host/cpu-memory-sampler.js'
import { RuntimeProbe } from './runtime/detect-runtime.js'

const live = (utilizationPct: number | null, vramUsedMiB: number | null, vramTotalMiB: number) => ({
  index: 0,
  uuid: 'GPU-x',
  utilizationPct,
  vramUsedMiB,
  vramTotalMiB,
  temperatureC: null,
  powerDrawW: null,
})

describe('GPU aggregates of a metrics sample', () => {
  it('averages utilization over the GPUs that report it; null when none do (MIG)', () => {
    expect(meanGpuUtilization([live(10, 0, 1), live(null, 0, 1), live(30, 0, 1)])).toBe(20)
    expect(meanGpuUtilization([live(null, 0, 1)])).toBeNull()
    expect(meanGpuUtilization([])).toBeNull()
  })

  it('sums VRAM used over total across GPUs; null without data', () => {
    expect(gpuMemoryUsedPercent([live(0, 1024, 4096), live(0, 3072, 4096)])).toBe(50)
    expect(gpuMemoryUsedPercent([live(0, null, 4096)])).toBeNull()
    expect(gpuMemoryUsedPercent([])).toBeNull()
  })
})

const monitors: GpuMonitor[] = []
afterEach(() => {
  for (const monitor of monitors.splice(0)) monitor.close()
})

describe('AgentSampler', () => {
  it('samples a MIG A100 host with Ollama into a valid registration and metrics sample', async () => {
    const runtime = await startFakeRuntime(OLLAMA_ROUTES)
    const gpu = new GpuMonitor({
      binary: fakeNvidiaSmiFor('telegraf__a100-sxm4-v12.xml'),
      timeoutMs: 5000,
      intervalMs: 200,
      log: captureLog().log,
    })
    monitors.push(gpu)
    await gpu.refreshInventory()
    const sampler = new AgentSampler({
      hostname: 'gpu-a100',
      agentVersion: '0.1.0',
      hostInfo: { cpu: { model: 'Test CPU', cores: 8 }, memoryTotalBytes: 1024 },
      advertiseUrl: 'http://10.0.0.7:11434',
      maxConcurrency: 4,
      gpu,
      host: new CpuMemorySampler(),
      runtime: new RuntimeProbe({ url: runtime.url, kind: 'auto' }),
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    })
    const { registration, metrics } = await sampler.takeSample()
    expect(AgentRegistration.parse(registration)).toEqual(registration)
    expect(AgentMetrics.parse({ ...metrics, agentId: 'a' })).toEqual({ ...metrics, agentId: 'a' })
    expect(registration).toMatchObject({
      hostname: 'gpu-a100',
      runtime: { kind: 'ollama', url: 'http://10.0.0.7:11434' },
      driverVersion: '535.54.03',
      cudaVersion: '12.2',
      computeScore: 57.3,
      models: ['llama3.1:8b', 'qwen2.5:7b'],
    })
    expect(registration.labels).toBeUndefined()
    expect(metrics).toMatchObject({
      timestamp: '2026-01-01T00:00:00.000Z',
      // MIG: utilization is N/A, so the aggregate is null rather than 0
      gpuUsage: null,
      activeRequests: 0,
      runtime: { up: true, loadedModels: ['llama3.1:8b'] },
    })
    expect(metrics.gpus).toHaveLength(1)
    expect(metrics.gpuMemoryUsage).toBe(0.1)
  })
})
