/** The sample an agent pushes every interval. */
import { z } from 'zod'
import { AgentId } from './agent-registration.js'
import { GpuLiveValuesList } from './gpu-device.js'
import { LoadedModelList } from './model-details.js'
import { Count, ModelList, NonNegative, Percent } from './primitives.js'

export const RuntimeStatus = z.strictObject({
  /** Whether the runtime answered its last probe. */
  up: z.boolean(),
  /** Models the runtime serves. */
  models: ModelList,
  /** Models resident in VRAM now (Ollama `/api/ps`); empty where the runtime does not say. */
  loadedModels: ModelList,
  /** The loaded models with their sizes and expiry (Ollama `/api/ps`), where the runtime reports them. */
  loaded: LoadedModelList.optional(),
})
export type RuntimeStatus = z.infer<typeof RuntimeStatus>

export const AgentMetrics = z.strictObject({
  // The original design's fields, kept as they were.
  agentId: AgentId,
  /** Host CPU busy percent over the last interval. */
  cpuUsage: Percent,
  /** Host memory used percent. */
  memoryUsage: Percent,
  /** Requests the runtime itself reports as running or waiting; 0 where it exposes no count. */
  activeRequests: Count,
  /** Mean response time the agent observed, or null where unknown. */
  avgResponseTimeMs: NonNegative.nullable(),
  /** When the sample was taken (ISO 8601 with offset). */
  timestamp: z.iso.datetime({ offset: true }),
  // Beyond the original design.
  gpus: GpuLiveValuesList,
  /** Mean GPU utilization over the devices that report it; null with no GPU or none reporting. */
  gpuUsage: Percent.nullable(),
  /** VRAM used over VRAM total across devices, in percent; null with no GPU. */
  gpuMemoryUsage: Percent.nullable(),
  runtime: RuntimeStatus,
})
export type AgentMetrics = z.infer<typeof AgentMetrics>
