/** What an agent tells the coordinator once at start: the host, its GPUs and its runtime. */
import { z } from 'zod'
import { GpuDeviceList } from './gpu-device.js'
import {
  MAX_AGENT_ID_LENGTH,
  MAX_COMPUTE_SCORE,
  MAX_CONCURRENCY,
  MAX_HOSTNAME_LENGTH,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS,
} from './limits.js'
import { ModelDetailList } from './model-details.js'
import { Count, ModelList, NonNegative, Text } from './primitives.js'
import { RuntimeEndpoint } from './runtime-endpoint.js'

export const CpuInfo = z.strictObject({
  /** CPU brand string, e.g. `AMD EPYC 7763 64-Core Processor`. */
  model: Text,
  /** Logical cores. */
  cores: z.number().int().min(1).max(65_536),
})
export type CpuInfo = z.infer<typeof CpuInfo>

/** Free-form labels (`zone=eu-1`, `pool=batch`), bounded in count and size. */
export const Labels = z
  .record(z.string().min(1).max(MAX_LABEL_KEY_LENGTH), z.string().max(MAX_LABEL_VALUE_LENGTH))
  .refine((labels) => Object.keys(labels).length <= MAX_LABELS, {
    message: `at most ${MAX_LABELS} labels`,
  })
export type Labels = z.infer<typeof Labels>

export const AgentRegistration = z.strictObject({
  /** The host's name; with `runtime.url` it identifies the node across re-registrations. */
  hostname: z.string().min(1).max(MAX_HOSTNAME_LENGTH),
  /** Version of the agent that registers. */
  agentVersion: z.string().min(1).max(64),
  runtime: RuntimeEndpoint,
  cpu: CpuInfo,
  memoryTotalBytes: Count,
  gpus: GpuDeviceList,
  /** NVIDIA driver version, or null on a host without one. */
  driverVersion: z.string().max(64).nullable(),
  /** Highest CUDA version the driver supports, or null where unknown. */
  cudaVersion: z.string().max(64).nullable(),
  /** How fast this host serves LLMs, summed over its GPUs (see the README); 0 for a CPU-only host. */
  computeScore: NonNegative.max(MAX_COMPUTE_SCORE),
  /** Requests the runtime serves at once; beyond it requests queue inside the runtime. */
  maxConcurrency: z.number().int().min(1).max(MAX_CONCURRENCY),
  /** Names of the models the runtime serves. */
  models: ModelList,
  /** Size, digest, date and details per model, where the runtime reports them (Ollama `/api/tags`). */
  modelDetails: ModelDetailList.optional(),
  labels: Labels.optional(),
})
export type AgentRegistration = z.infer<typeof AgentRegistration>

/** An agent id as the coordinator issues it. */
export const AgentId = z
  .string()
  .min(1)
  .max(MAX_AGENT_ID_LENGTH)
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "-" and "_"')
export type AgentId = z.infer<typeof AgentId>

/** The coordinator's answer to a registration (201 new, 200 re-registered). */
export const RegistrationAccepted = z.strictObject({
  agentId: AgentId,
  /** How often the coordinator wants metrics; the agent adopts it. */
  pushIntervalMs: z.number().int().min(100).max(3_600_000),
})
export type RegistrationAccepted = z.infer<typeof RegistrationAccepted>
