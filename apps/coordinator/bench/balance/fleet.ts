/**
 * The simulated fleet of the balancing-quality benchmark: unequal hosts on the mock runtime's GPU
 * profiles, the models each serves, the request mix, and what "capacity" means.
 */
import { GPU_PROFILES, type GpuProfile, MEAN_OUTPUT_TOKENS } from '@llm-fleet/mock-runtime'
import { AgentRegistration } from '@llm-fleet/types'

/** One simulated host: its speed, what its agent registers, and the metrics constants it reports. */
export interface SimHost {
  readonly name: string
  /** GPU class, for the per-class share of requests. */
  readonly gpuClass: string
  readonly profile: GpuProfile
  /** What the agent registers (see COMPUTE_SCORES). */
  readonly computeScore: number
  /** What the agent registers: the runtime's slot count (see below). */
  readonly maxConcurrency: number
  readonly models: readonly string[]
  /** VRAM in GiB: the weights plus the KV cache the runtime preallocates for its slots fill part of it. */
  readonly vramGiB: number
  readonly cpuCores: number
}

/**
 * Compute scores as the agent computes them for these boards (`apps/agent/src/compute-score/`:
 * fit × (datasheet GB/s + dense FP16 TFLOPS) / 10, fit = min(1, VRAM GiB / 16), numbers from
 * `gpu-spec-table.ts`). Stated here because apps never import each other:
 * H100 SXM (3350 + 989.5) / 10 = 434.0; A100 80GB SXM (2039 + 312) / 10 = 235.1;
 * RTX 4090 (1008 + 165.2) / 10 = 117.3; L4 (300 + 121) / 10 = 42.1; T4 15/16 × (320 + 65) / 10 = 36.1.
 */
export const COMPUTE_SCORES = { h100: 434, a100: 235.1, 'rtx-4090': 117.3, l4: 42.1, t4: 36.1 } as const

/** The models and the share of requests naming each. Every model is a 7–8B one: same speed profile. */
export const MODEL_MIX = [
  { model: 'llama3.1:8b', share: 0.6 },
  { model: 'qwen2.5:7b', share: 0.25 },
  { model: 'mistral:7b', share: 0.15 },
] as const

/** A model drawn by `MODEL_MIX`'s shares; consumes exactly one draw of `random`. */
export function pickModel(random: () => number): string {
  let pick = random()
  for (const entry of MODEL_MIX) {
    if (pick < entry.share) return entry.model
    pick -= entry.share
  }
  // Floating-point shares may sum to a hair under 1.
  return MODEL_MIX[0].model
}

const ALL = ['llama3.1:8b', 'qwen2.5:7b', 'mistral:7b'] as const
const LLAMA_QWEN = ['llama3.1:8b', 'qwen2.5:7b'] as const
const LLAMA_MISTRAL = ['llama3.1:8b', 'mistral:7b'] as const

type FleetGpu = keyof typeof COMPUTE_SCORES

const VRAM_GIB: Readonly<Record<FleetGpu, number>> = { h100: 80, a100: 80, 'rtx-4090': 24, l4: 24, t4: 16 }
const CPU_CORES: Readonly<Record<FleetGpu, number>> = { h100: 64, a100: 64, 'rtx-4090': 16, l4: 16, t4: 8 }

function host(gpu: FleetGpu, index: number, models: readonly string[]): SimHost {
  const profile = GPU_PROFILES[gpu]
  return {
    name: `${gpu}-${index}`,
    gpuClass: gpu,
    profile,
    computeScore: COMPUTE_SCORES[gpu],
    // The operator sets the agent's MAX_CONCURRENCY to the runtime's parallel slots
    // (OLLAMA_NUM_PARALLEL, vLLM max_num_seqs): that is what the field means ("requests the runtime
    // serves at once; beyond it requests queue inside the runtime"). The agent's default of 4 would
    // understate an H100 eightfold.
    maxConcurrency: profile.slots,
    models,
    vramGiB: VRAM_GIB[gpu],
    cpuCores: CPU_CORES[gpu],
  }
}

/**
 * 1 × H100, 2 × A100, 3 × RTX 4090, 2 × L4, 4 × T4. llama3.1 runs everywhere; qwen2.5 and mistral
 * each on a mix of fast and slow hosts, so a model filter leaves an unequal fleet too.
 */
export function defaultFleet(): SimHost[] {
  return [
    host('h100', 1, LLAMA_QWEN),
    host('a100', 1, ALL),
    host('a100', 2, LLAMA_MISTRAL),
    host('rtx-4090', 1, ALL),
    host('rtx-4090', 2, LLAMA_QWEN),
    host('rtx-4090', 3, LLAMA_MISTRAL),
    host('l4', 1, LLAMA_QWEN),
    host('l4', 2, LLAMA_MISTRAL),
    host('t4', 1, LLAMA_QWEN),
    host('t4', 2, LLAMA_QWEN),
    host('t4', 3, LLAMA_MISTRAL),
    host('t4', 4, LLAMA_MISTRAL),
  ]
}

/**
 * The most requests per second one host sustains: every slot busy, each turning over once per
 * TTFT + (mean tokens − 1) / per-request rate at a full batch. (The prefill holds a slot without
 * decoding, so this is a little below `single × slots^α / mean tokens`, the pure decode bound.)
 */
export function hostCapacityPerS(profile: GpuProfile, meanTokens = MEAN_OUTPUT_TOKENS): number {
  const perRequestTokensPerS =
    (profile.singleTokensPerS * profile.slots ** profile.batchingExponent) / profile.slots
  const slotTurnoverS = profile.ttftMs / 1000 + (meanTokens - 1) / perRequestTokensPerS
  return profile.slots / slotTurnoverS
}

/**
 * Fleet capacity in requests per second: the sum of the hosts' full-batch capacities. Load 1.0 is
 * this rate; no balancer can do better, and reaching it needs every slot of every host busy.
 */
export function fleetCapacityPerS(hosts: readonly SimHost[], meanTokens = MEAN_OUTPUT_TOKENS): number {
  return hosts.reduce((sum, simHost) => sum + hostCapacityPerS(simHost.profile, meanTokens), 0)
}

/**
 * What a simulated host's agent registers: its score, slot count, models and runtime URL. The
 * registry reads those, not the device list, so `gpus` stays empty.
 */
export function simulatedRegistration(
  host: SimHost,
  runtimeUrl: string,
  agentVersion: string,
): AgentRegistration {
  return AgentRegistration.parse({
    hostname: host.name,
    agentVersion,
    runtime: { kind: 'ollama', url: runtimeUrl },
    cpu: { model: 'simulated', cores: host.cpuCores },
    memoryTotalBytes: 256 * 1024 ** 3,
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    computeScore: host.computeScore,
    maxConcurrency: host.maxConcurrency,
    models: [...host.models],
  })
}
