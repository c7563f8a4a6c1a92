/** Real-looking wire messages, typed by the schemas they must satisfy. */
import type { AgentMetrics, AgentRegistration, GpuDevice } from '../src/index.js'

export const a100: GpuDevice = {
  index: 0,
  uuid: 'GPU-4a2b7c1e-9a51-2c6f-8d3e-0f1b2c3d4e5f',
  name: 'NVIDIA A100-SXM4-80GB',
  vramTotalMiB: 81920,
  vramUsedMiB: 4,
  utilizationPct: null,
  temperatureC: 29,
  powerDrawW: 61.6,
  computeCapability: '8.0',
  maxSmClockMHz: 1410,
  migEnabled: true,
}

export function registration(overrides: Partial<AgentRegistration> = {}): AgentRegistration {
  return {
    hostname: 'gpu-a100-01',
    agentVersion: '0.1.0',
    runtime: { kind: 'ollama', url: 'http://10.0.0.7:11434' },
    cpu: { model: 'AMD EPYC 7763 64-Core Processor', cores: 128 },
    memoryTotalBytes: 540_000_000_000,
    gpus: [a100],
    driverVersion: '535.54.03',
    cudaVersion: '12.2',
    computeScore: 2039,
    maxConcurrency: 4,
    models: ['llama3.1:8b', 'qwen2.5:32b'],
    labels: { zone: 'eu-1' },
    ...overrides,
  }
}

export function metrics(overrides: Partial<AgentMetrics> = {}): AgentMetrics {
  return {
    agentId: 'n_01',
    cpuUsage: 12.5,
    memoryUsage: 40,
    activeRequests: 2,
    avgResponseTimeMs: null,
    timestamp: '2026-11-24T07:30:00.000Z',
    gpus: [
      {
        index: 0,
        uuid: a100.uuid,
        vramTotalMiB: 81920,
        vramUsedMiB: 40_000,
        utilizationPct: 87,
        temperatureC: 61,
        powerDrawW: 310.2,
      },
    ],
    gpuUsage: 87,
    gpuMemoryUsage: 48.8,
    runtime: { up: true, models: ['llama3.1:8b'], loadedModels: ['llama3.1:8b'] },
    ...overrides,
  }
}
