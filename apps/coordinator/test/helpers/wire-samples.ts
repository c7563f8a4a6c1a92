/** Real-looking wire messages for the coordinator's tests, typed (and so checked) by the shared schemas. */
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'

export function registration(overrides: Partial<AgentRegistration> = {}): AgentRegistration {
  return {
    hostname: 'gpu-a100-01',
    agentVersion: '0.1.0',
    runtime: { kind: 'ollama', url: 'http://10.0.0.7:11434' },
    cpu: { model: 'AMD EPYC 7763 64-Core Processor', cores: 128 },
    memoryTotalBytes: 540_000_000_000,
    gpus: [
      {
        index: 0,
        uuid: 'GPU-4a2b7c1e-9a51-2c6f-8d3e-0f1b2c3d4e5f',
        name: 'NVIDIA A100-SXM4-80GB',
        vramTotalMiB: 81920,
        vramUsedMiB: 4,
        utilizationPct: 3,
        temperatureC: 29,
        powerDrawW: 61.6,
        computeCapability: '8.0',
        maxSmClockMHz: 1410,
        migEnabled: false,
      },
    ],
    driverVersion: '535.54.03',
    cudaVersion: '12.2',
    computeScore: 2039,
    maxConcurrency: 4,
    models: ['llama3.1:8b', 'qwen2.5:32b'],
    ...overrides,
  }
}

export function metrics(agentId: string, overrides: Partial<AgentMetrics> = {}): AgentMetrics {
  return {
    agentId,
    cpuUsage: 12.5,
    memoryUsage: 40,
    activeRequests: 0,
    avgResponseTimeMs: null,
    timestamp: '2026-11-24T07:30:00.000Z',
    gpus: [
      {
        index: 0,
        uuid: 'GPU-4a2b7c1e-9a51-2c6f-8d3e-0f1b2c3d4e5f',
        vramTotalMiB: 81920,
        vramUsedMiB: 40_000,
        utilizationPct: 37,
        temperatureC: 61,
        powerDrawW: 230,
      },
    ],
    gpuUsage: 37,
    gpuMemoryUsage: 48.8,
    runtime: { up: true, models: ['llama3.1:8b', 'qwen2.5:32b'], loadedModels: ['llama3.1:8b'] },
    ...overrides,
  }
}
