/**
 * What the benchmark's world is made of: GPU boards (datasheet figures, as the agent's spec table
 * has them), models (Ollama library Q4_K_M sizes, layer/head dimensions from each model's published
 * config.json), and the fixed constants of the host model. Every figure is cited in
 * docs/balancing-benchmark.md; the numbers the balancer never sees are in hidden.ts.
 */

export interface GpuBoard {
  readonly id: string
  /** How nvidia-smi names the board (what the agent reads). */
  readonly smiName: string
  readonly vramGiB: number
  readonly bandwidthGBs: number
  /** Dense FP16 tensor TFLOPS. */
  readonly fp16Tflops: number
  readonly computeCapability: string
}

/** Datasheet figures, the same as apps/agent/src/compute-score/gpu-spec-table.ts. */
export const GPU_BOARDS = {
  h100: {
    id: 'h100',
    smiName: 'NVIDIA H100 80GB HBM3',
    vramGiB: 80,
    bandwidthGBs: 3350,
    fp16Tflops: 989.5,
    computeCapability: '9.0',
  },
  a100: {
    id: 'a100',
    smiName: 'NVIDIA A100-SXM4-80GB',
    vramGiB: 80,
    bandwidthGBs: 2039,
    fp16Tflops: 312,
    computeCapability: '8.0',
  },
  l40s: {
    id: 'l40s',
    smiName: 'NVIDIA L40S',
    vramGiB: 48,
    bandwidthGBs: 864,
    fp16Tflops: 362,
    computeCapability: '8.9',
  },
  'rtx-4090': {
    id: 'rtx-4090',
    smiName: 'NVIDIA GeForce RTX 4090',
    vramGiB: 24,
    bandwidthGBs: 1008,
    fp16Tflops: 165.2,
    computeCapability: '8.9',
  },
  'rtx-3090': {
    id: 'rtx-3090',
    smiName: 'NVIDIA GeForce RTX 3090',
    vramGiB: 24,
    bandwidthGBs: 936,
    fp16Tflops: 71,
    computeCapability: '8.6',
  },
  l4: {
    id: 'l4',
    smiName: 'NVIDIA L4',
    vramGiB: 24,
    bandwidthGBs: 300,
    fp16Tflops: 121,
    computeCapability: '8.9',
  },
  t4: {
    id: 't4',
    smiName: 'Tesla T4',
    vramGiB: 16,
    bandwidthGBs: 320,
    fp16Tflops: 65,
    computeCapability: '7.5',
  },
} as const satisfies Record<string, GpuBoard>

export type BoardId = keyof typeof GPU_BOARDS

export interface ModelSpec {
  readonly id: string
  readonly params: number
  /** Q4_K_M weights as `ollama pull` downloads them, GB (10^9 bytes). */
  readonly sizeGB: number
  readonly layers: number
  readonly kvHeads: number
  readonly headDim: number
}

/**
 * KV bytes per token at FP16: K and V (2) × layers × KV heads × head dim × 2 bytes. Llama 3.1 8B:
 * 2 × 32 × 8 × 128 × 2 = 131 072 (128 KiB).
 */
export function kvBytesPerToken(model: ModelSpec): number {
  return 2 * model.layers * model.kvHeads * model.headDim * 2
}

/** The five sizes of the main workloads, then the long tail's extra models. */
export const MODELS: readonly ModelSpec[] = [
  { id: 'llama3.2:3b', params: 3.21e9, sizeGB: 2.0, layers: 28, kvHeads: 8, headDim: 128 },
  { id: 'llama3.1:8b', params: 8.03e9, sizeGB: 4.9, layers: 32, kvHeads: 8, headDim: 128 },
  { id: 'qwen2.5:14b', params: 14.8e9, sizeGB: 9.0, layers: 48, kvHeads: 8, headDim: 128 },
  { id: 'qwen2.5:32b', params: 32.8e9, sizeGB: 20, layers: 64, kvHeads: 8, headDim: 128 },
  { id: 'llama3.1:70b', params: 70.6e9, sizeGB: 43, layers: 80, kvHeads: 8, headDim: 128 },
  { id: 'qwen2.5:7b', params: 7.62e9, sizeGB: 4.7, layers: 28, kvHeads: 4, headDim: 128 },
  { id: 'mistral:7b', params: 7.25e9, sizeGB: 4.1, layers: 32, kvHeads: 8, headDim: 128 },
  { id: 'gemma2:9b', params: 9.24e9, sizeGB: 5.4, layers: 42, kvHeads: 8, headDim: 256 },
  { id: 'phi3:14b', params: 14.0e9, sizeGB: 7.9, layers: 40, kvHeads: 10, headDim: 128 },
  { id: 'deepseek-r1:32b', params: 32.8e9, sizeGB: 20, layers: 64, kvHeads: 8, headDim: 128 },
  { id: 'codellama:13b', params: 13.0e9, sizeGB: 7.4, layers: 40, kvHeads: 40, headDim: 128 },
  { id: 'llava:7b', params: 7.24e9, sizeGB: 4.7, layers: 32, kvHeads: 32, headDim: 128 },
]

const BY_ID = new Map(MODELS.map((model) => [model.id, model]))

export function modelSpec(id: string): ModelSpec {
  const model = BY_ID.get(id)
  if (model === undefined) throw new Error(`unknown model ${id}`)
  return model
}

/** Tokens per prefix-cache block (vLLM's default block is 16; 64 keeps the bench fast, see the docs). */
export const BLOCK_TOKENS = 64
/** VRAM a runtime keeps besides weights and prefix cache (CUDA context, activations, graphs), GiB. */
export const RUNTIME_OVERHEAD_GIB = 1.5
/** Share of datasheet bandwidth a single decode stream reads weights at (before the hidden factor). */
export const DECODE_BANDWIDTH_EFFICIENCY = 0.65
/** Fixed cost per decoded token (sampling, kernel launches), ms, before the hidden factor. */
export const PER_TOKEN_OVERHEAD_MS = 1.5
/** Share of dense FP16 TFLOPS prefill reaches (2 × params FLOPs per token), before the hidden factor. */
export const PREFILL_FLOPS_EFFICIENCY = 0.35
/** Tensor-parallel efficiency of a group of GPUs (per extra GPU of bandwidth/FLOPs kept). */
export const TP_EFFICIENCY = 0.85
/** Ollama's default `OLLAMA_MAX_LOADED_MODELS` is 3 × GPUs (server/sched.go `defaultModelsPerGPU = 3`). */
export const MODELS_PER_GPU = 3
/** Ollama's default `OLLAMA_KEEP_ALIVE`: an idle model unloads after 5 minutes (envconfig/config.go). */
export const KEEP_ALIVE_MS = 5 * 60_000
