/** Composes one tick's sample of the host: GPUs, CPU and memory, runtime, and the compute score. */
import type {
  AgentMetrics,
  AgentRegistration,
  CpuInfo,
  GpuLiveValues,
  Labels,
  RuntimeKind,
} from '@llm-fleet/types'
import { computeHostScore, type ScoredGpu } from './compute-score/compute-score.js'
import type { GpuMonitor } from './gpu/gpu-monitor.js'
import type { CpuMemorySampler } from './host/cpu-memory-sampler.js'
import type { AgentSample } from './push-loop.js'
import type { RuntimeProbe } from './runtime/detect-runtime.js'

export interface AgentSamplerOptions {
  hostname: string
  agentVersion: string
  hostInfo: { cpu: CpuInfo; memoryTotalBytes: number }
  /** The runtime URL the coordinator connects to (`ADVERTISE_URL` or its default). */
  advertiseUrl: string
  maxConcurrency: number
  labels?: Labels | undefined
  gpu: GpuMonitor
  host: CpuMemorySampler
  runtime: RuntimeProbe
  /** `RUNTIME_API_KEY`, registered so that the coordinator can reach a runtime that demands it. */
  runtimeApiKey?: string | undefined
  now?: () => number
}

/** Port 11434 is Ollama's; anything else more likely an OpenAI-compatible server (vLLM 8000, llama.cpp 8080). */
function guessRuntimeKind(url: string): RuntimeKind {
  return new URL(url).port === '11434' ? 'ollama' : 'openai'
}

/** PURE: mean utilization over the GPUs that report one; null when none do (MIG, no GPU). */
export function meanGpuUtilization(gpus: readonly GpuLiveValues[]): number | null {
  const values = gpus.map((gpu) => gpu.utilizationPct).filter((value): value is number => value !== null)
  if (values.length === 0) return null
  return Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 10) / 10
}

/** PURE: VRAM used over total across the GPUs that report both, in percent; null without such GPUs. */
export function gpuMemoryUsedPercent(gpus: readonly GpuLiveValues[]): number | null {
  let used = 0
  let total = 0
  for (const gpu of gpus) {
    if (gpu.vramUsedMiB === null || gpu.vramTotalMiB <= 0) continue
    used += gpu.vramUsedMiB
    total += gpu.vramTotalMiB
  }
  if (total === 0) return null
  return Math.min(100, Math.round((used / total) * 1000) / 10)
}

export class AgentSampler {
  readonly #options: AgentSamplerOptions

  constructor(options: AgentSamplerOptions) {
    this.#options = options
  }

  /** The score of the GPUs the inventory holds now (0 for a CPU-only host or a failing driver). */
  computeScore(): number {
    const gpus: ScoredGpu[] = this.#options.gpu.inventory.gpus.map((gpu) => ({
      name: gpu.device.name,
      vramTotalMiB: gpu.device.vramTotalMiB,
      pciDeviceId: gpu.pciDeviceId,
      computeCapability: gpu.device.computeCapability,
      maxSmClockMHz: gpu.device.maxSmClockMHz,
      migEnabled: gpu.device.migEnabled,
      largestMigInstanceMiB: gpu.largestMigInstanceMiB,
    }))
    return computeHostScore(gpus)
  }

  async takeSample(): Promise<AgentSample> {
    const { gpu, host, runtime } = this.#options
    const [gpus, hostSample, probe] = await Promise.all([gpu.sampleLive(), host.sample(), runtime.probe()])
    const inventory = gpu.inventory
    const registration: AgentRegistration = {
      hostname: this.#options.hostname,
      agentVersion: this.#options.agentVersion,
      runtime: {
        kind: probe.kind ?? guessRuntimeKind(this.#options.advertiseUrl),
        url: this.#options.advertiseUrl,
        ...(probe.version === undefined ? {} : { version: probe.version }),
        ...(this.#options.runtimeApiKey === undefined ? {} : { apiKey: this.#options.runtimeApiKey }),
      },
      cpu: this.#options.hostInfo.cpu,
      memoryTotalBytes: this.#options.hostInfo.memoryTotalBytes,
      gpus: gpu.devices,
      driverVersion: inventory.driverVersion,
      cudaVersion: inventory.cudaVersion,
      computeScore: this.computeScore(),
      maxConcurrency: this.#options.maxConcurrency,
      models: probe.status.models,
      ...(probe.modelDetails === undefined || probe.modelDetails.length === 0
        ? {}
        : { modelDetails: probe.modelDetails }),
      ...(this.#options.labels === undefined ? {} : { labels: this.#options.labels }),
    }
    const metrics: Omit<AgentMetrics, 'agentId'> = {
      cpuUsage: hostSample.cpuUsage,
      memoryUsage: hostSample.memoryUsage,
      activeRequests: probe.activeRequests,
      avgResponseTimeMs: null,
      timestamp: new Date((this.#options.now ?? Date.now)()).toISOString(),
      gpus,
      gpuUsage: meanGpuUtilization(gpus),
      gpuMemoryUsage: gpuMemoryUsedPercent(gpus),
      runtime: probe.status,
    }
    return { registration, metrics }
  }
}
