/**
 * GPU speed profiles of the mock runtime: how fast a simulated host decodes, how long its prefill takes,
 * how many requests it batches and how well batching scales. Pure data, shared with the balancing simulation.
 *
 * Reference workload: Llama 3.1 8B at Q4_K_M (about 4.9 GB of weights), one ~512-token prompt.
 * - Decode is memory-bound: every token streams the weights once, so single-request tokens/s is
 *   bandwidth x utilisation / model size = bandwidth (GB/s) x 0.65 / 4.9 GB, about 0.133 x bandwidth.
 *   That lands the RTX 4090 at ~135 tokens/s, in line with published llama.cpp tg128 numbers for this model.
 *   Bandwidths are the vendors' datasheet figures.
 * - Prefill is compute-bound: 2 x 8e9 parameters x 512 tokens = 8.2 TFLOP at ~40 % of dense FP16 tensor
 *   throughput, plus ~20 ms of fixed overhead (tokenising, scheduling, HTTP). So TTFT tracks compute, not
 *   bandwidth: the L4 decodes no faster than a T4 but answers first.
 * - Slots: concurrent sequences one host batches before queueing, sized for the KV cache left next to the
 *   weights at 4k context and capped where per-request speed would collapse (like a tuned
 *   OLLAMA_NUM_PARALLEL or vLLM max_num_seqs).
 * - batchingExponent α: aggregate throughput = single x n^α (see speed-model.ts). Batching reuses the
 *   weight read for n sequences, so α is near 1 while compute is idle; cards with little compute per byte
 *   of bandwidth saturate sooner (lower α). Typical vLLM measurements put α between 0.6 and 0.8.
 */

/** The speed of one simulated GPU host. All numbers at speed scale 1. */
export interface GpuProfile {
  /** Profile id, as given to `--profile`. */
  readonly id: string
  /** Marketing name of the GPU, as `nvidia-smi` reports it (without the `NVIDIA ` prefix). */
  readonly gpuName: string
  /** Memory bandwidth from the datasheet, GB/s (the decode-speed proxy). */
  readonly memoryBandwidthGBs: number
  /** Decode speed of a single request alone on the GPU, tokens per second. */
  readonly singleTokensPerS: number
  /** Time to first token (prefill of a ~512-token prompt), milliseconds. */
  readonly ttftMs: number
  /** Most requests decoded at once; more wait in a FIFO queue. */
  readonly slots: number
  /** Aggregate throughput with n active requests is singleTokensPerS x n^batchingExponent (0 < α ≤ 1). */
  readonly batchingExponent: number
}

/** Every profile id, in descending order of decode speed. */
export const PROFILE_IDS = [
  'h100',
  'a100',
  'rtx-4090',
  'rtx-3090',
  'l40s',
  'rtx-3080',
  'rtx-2080-ti',
  'a10g',
  't4',
  'l4',
  'gtx-1070',
  'cpu',
] as const

/** A profile id accepted by `--profile`. */
export type ProfileId = (typeof PROFILE_IDS)[number]

/** The profiles, by id. */
export const GPU_PROFILES: Readonly<Record<ProfileId, GpuProfile>> = {
  // H100 SXM5 80GB HBM3: 3350 GB/s, 989 TFLOPS dense FP16. Huge compute per byte, so batching scales best.
  h100: {
    id: 'h100',
    gpuName: 'H100 80GB HBM3',
    memoryBandwidthGBs: 3350,
    singleTokensPerS: 445,
    ttftMs: 40,
    slots: 32,
    batchingExponent: 0.8,
  },
  // A100 SXM4 80GB: 2039 GB/s, 312 TFLOPS FP16.
  a100: {
    id: 'a100',
    gpuName: 'A100-SXM4-80GB',
    memoryBandwidthGBs: 2039,
    singleTokensPerS: 270,
    ttftMs: 85,
    slots: 24,
    batchingExponent: 0.78,
  },
  // RTX 4090 24GB: 1008 GB/s, 165 TFLOPS FP16 (FP32 accumulate).
  'rtx-4090': {
    id: 'rtx-4090',
    gpuName: 'GeForce RTX 4090',
    memoryBandwidthGBs: 1008,
    singleTokensPerS: 135,
    ttftMs: 145,
    slots: 12,
    batchingExponent: 0.7,
  },
  // RTX 3090 24GB: 936 GB/s, 71 TFLOPS FP16 (FP32 accumulate).
  'rtx-3090': {
    id: 'rtx-3090',
    gpuName: 'GeForce RTX 3090',
    memoryBandwidthGBs: 936,
    singleTokensPerS: 125,
    ttftMs: 310,
    slots: 12,
    batchingExponent: 0.68,
  },
  // L40S 48GB GDDR6: 864 GB/s but 362 TFLOPS FP16: slower decode than a 4090, far faster prefill, more KV room.
  l40s: {
    id: 'l40s',
    gpuName: 'L40S',
    memoryBandwidthGBs: 864,
    singleTokensPerS: 115,
    ttftMs: 75,
    slots: 20,
    batchingExponent: 0.72,
  },
  // RTX 3080 10GB: 760 GB/s, 59.5 TFLOPS; 10 GB leaves little KV cache.
  'rtx-3080': {
    id: 'rtx-3080',
    gpuName: 'GeForce RTX 3080',
    memoryBandwidthGBs: 760,
    singleTokensPerS: 100,
    ttftMs: 365,
    slots: 6,
    batchingExponent: 0.66,
  },
  // RTX 2080 Ti 11GB: 616 GB/s, 53.8 TFLOPS (Turing tensor cores, FP32 accumulate).
  'rtx-2080-ti': {
    id: 'rtx-2080-ti',
    gpuName: 'GeForce RTX 2080 Ti',
    memoryBandwidthGBs: 616,
    singleTokensPerS: 82,
    ttftMs: 400,
    slots: 6,
    batchingExponent: 0.64,
  },
  // A10G 24GB (AWS g5): 600 GB/s, ~70 TFLOPS FP16.
  a10g: {
    id: 'a10g',
    gpuName: 'A10G',
    memoryBandwidthGBs: 600,
    singleTokensPerS: 80,
    ttftMs: 310,
    slots: 12,
    batchingExponent: 0.66,
  },
  // T4 16GB: 320 GB/s, 65 TFLOPS FP16, 70 W: clocks throttle under batch load, so batching scales worst.
  t4: {
    id: 't4',
    gpuName: 'Tesla T4',
    memoryBandwidthGBs: 320,
    singleTokensPerS: 42,
    ttftMs: 335,
    slots: 8,
    batchingExponent: 0.6,
  },
  // L4 24GB: 300 GB/s (slightly below the T4) but 121 TFLOPS FP16: same decode, half the TTFT.
  l4: {
    id: 'l4',
    gpuName: 'L4',
    memoryBandwidthGBs: 300,
    singleTokensPerS: 40,
    ttftMs: 190,
    slots: 12,
    batchingExponent: 0.65,
  },
  // GTX 1070 8GB: 256 GB/s, no tensor cores and crippled FP16; prefill runs on int8 dp4a (~25 TOPS).
  'gtx-1070': {
    id: 'gtx-1070',
    gpuName: 'GeForce GTX 1070',
    memoryBandwidthGBs: 256,
    singleTokensPerS: 34,
    ttftMs: 840,
    slots: 4,
    batchingExponent: 0.5,
  },
  // A desktop CPU with dual-channel DDR5 (~64 GB/s): decode ~8 tokens/s, prompt eval ~85 tokens/s on
  // 16 cores, and batching barely helps because the cores are already busy.
  cpu: {
    id: 'cpu',
    gpuName: 'CPU',
    memoryBandwidthGBs: 64,
    singleTokensPerS: 8,
    ttftMs: 6000,
    slots: 2,
    batchingExponent: 0.3,
  },
}

/** True when `id` names a profile. */
export function isProfileId(id: string): id is ProfileId {
  return Object.hasOwn(GPU_PROFILES, id)
}
