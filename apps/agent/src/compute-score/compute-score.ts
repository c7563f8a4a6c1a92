/**
 * PURE: one number per host that orders hosts by how fast they serve LLMs (see README "Compute score").
 *
 *   gpuScore  = fit × (bandwidthGBs + fp16Tflops) / 10
 *   fit       = min(1, usableVramGiB / 16)
 *   hostScore = Σ gpuScore over the host's GPUs
 *
 * Decoding one token reads every weight once, so tokens/s is memory bandwidth over model size: the
 * bandwidth term dominates (datasheet GB/s are 3–10x the TFLOPS figures). Prefill is compute-bound, so
 * dense FP16 tensor TFLOPS add the second term; it is what puts an L4 (300 GB/s, 121 TFLOPS) above a
 * T4 (320 GB/s, 65 TFLOPS), as measured LLM throughput does. A card that cannot hold a typical 16 GiB
 * working set (an 8B model at FP16, or a 14B at 8-bit plus KV cache) is scaled down by `fit`.
 */
import { findGpuSpec, GPU_SPECS, type GpuIdentity, type GpuSpec } from './gpu-spec-table.js'

/** Working set of a typical served model, in GiB: below it, the card runs smaller models only. */
export const REFERENCE_MODEL_GIB = 16
/** Score points per GB/s (and per TFLOPS): keeps scores human-sized (H100 ≈ 434). */
const POINTS_DIVISOR = 10
/** Conservative floor for unknown cards of unknown generation: GB/s per GiB of VRAM (T4/L4 class). */
const FLOOR_BANDWIDTH_GBS_PER_GIB = 10
/** Conservative floor: TFLOPS per GHz of max SM clock (a small card's FP32 rate). */
const FLOOR_TFLOPS_PER_GHZ = 5
/**
 * The floor never rates a card above the fastest one in the table: a corrupt VRAM or clock reading
 * (nvidia-smi has printed 4294967295 for unreadable values) would otherwise score a host in the
 * millions, past what a coordinator accepts, and it would never register.
 */
const FLOOR_MAX_BANDWIDTH_GBS = Math.max(...GPU_SPECS.map((spec) => spec.bandwidthGBs))
const FLOOR_MAX_TFLOPS = Math.max(...GPU_SPECS.map((spec) => spec.fp16Tflops))

/** What the score needs about one GPU. */
export interface ScoredGpu extends GpuIdentity {
  computeCapability?: string | null
  maxSmClockMHz?: number | null
  migEnabled?: boolean
  /** Largest MIG instance memory; only meaningful with MIG on. */
  largestMigInstanceMiB?: number | null
}

/** How the throughput numbers were found. */
export type SpecBasis =
  /** The model is in the table. */
  | { kind: 'table'; spec: GpuSpec }
  /** Unknown model: the known card with the same compute capability and the closest VRAM. */
  | { kind: 'sibling'; spec: GpuSpec }
  /**
   * Unknown model of a generation newer than any in the table: the closest-VRAM card of the newest
   * known generation, as a lower bound (a new generation at the same memory size is not slower), so a
   * Blackwell successor never ranks below a Hopper flagship because the table is behind.
   */
  | { kind: 'previous-generation'; spec: GpuSpec }
  /** Unknown model and generation: estimated from VRAM and SM clock, on the low side. */
  | { kind: 'floor' }

export interface GpuScore {
  score: number
  bandwidthGBs: number
  fp16Tflops: number
  usableVramGiB: number
  basis: SpecBasis
}

function round1(value: number): number {
  return Math.round(value * 10) / 10
}

/** Closest VRAM on a log scale, so 24 GiB is as far from 12 as from 48; ties go to the slower card. */
function findSibling(computeCapability: string, vramGiB: number): GpuSpec | undefined {
  let best: GpuSpec | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const spec of GPU_SPECS) {
    if (spec.computeCapability !== computeCapability) continue
    const distance = Math.abs(Math.log(Math.max(vramGiB, 0.5) / spec.vramGiB))
    const isCloser = distance < bestDistance - 1e-9
    const isSlowerTie =
      Math.abs(distance - bestDistance) <= 1e-9 &&
      best !== undefined &&
      spec.bandwidthGBs + spec.fp16Tflops < best.bandwidthGBs + best.fp16Tflops
    if (isCloser || isSlowerTie) {
      best = spec
      bestDistance = distance
    }
  }
  return best
}

/** Within this VRAM ratio, a newer card is compared with the previous generation's closest card. */
const PREVIOUS_GENERATION_MAX_VRAM_RATIO = 2

/** `8.9` as 809, so capabilities compare as numbers (10.0 > 9.0 > 8.9). */
function capabilityRank(computeCapability: string): number {
  const [major = '0', minor = '0'] = computeCapability.split('.')
  return Number(major) * 100 + Number(minor)
}

/**
 * For a card newer than every table entry: the closest-VRAM card among all older generations (a
 * 192 GiB part is compared with a GB200, a 32 GiB one with an RTX 5090), when its VRAM is close enough.
 */
function findPreviousGeneration(computeCapability: string, vramGiB: number): GpuSpec | undefined {
  const rank = capabilityRank(computeCapability)
  let best: GpuSpec | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const spec of GPU_SPECS) {
    const specRank = capabilityRank(spec.computeCapability)
    if (specRank >= rank) return undefined
    const distance = Math.abs(Math.log(Math.max(vramGiB, 0.5) / spec.vramGiB))
    const isFasterTie =
      Math.abs(distance - bestDistance) <= 1e-9 &&
      best !== undefined &&
      spec.bandwidthGBs + spec.fp16Tflops > best.bandwidthGBs + best.fp16Tflops
    if (distance < bestDistance - 1e-9 || isFasterTie) {
      best = spec
      bestDistance = distance
    }
  }
  return bestDistance <= Math.log(PREVIOUS_GENERATION_MAX_VRAM_RATIO) ? best : undefined
}

function resolveBasis(gpu: ScoredGpu): SpecBasis {
  const spec = findGpuSpec(gpu)
  if (spec !== undefined) return { kind: 'table', spec }
  const computeCapability = gpu.computeCapability ?? null
  if (computeCapability !== null) {
    const vramGiB = gpu.vramTotalMiB / 1024
    const sibling = findSibling(computeCapability, vramGiB)
    if (sibling !== undefined) return { kind: 'sibling', spec: sibling }
    const previous = findPreviousGeneration(computeCapability, vramGiB)
    if (previous !== undefined) return { kind: 'previous-generation', spec: previous }
  }
  return { kind: 'floor' }
}

/** The score of one GPU, with how it was derived (logged at start so operators can check it). */
export function computeGpuScore(gpu: ScoredGpu): GpuScore {
  const basis = resolveBasis(gpu)
  const vramGiB = gpu.vramTotalMiB / 1024
  let bandwidthGBs: number
  let fp16Tflops: number
  if (basis.kind === 'floor') {
    bandwidthGBs = Math.min(FLOOR_BANDWIDTH_GBS_PER_GIB * vramGiB, FLOOR_MAX_BANDWIDTH_GBS)
    fp16Tflops = Math.min(FLOOR_TFLOPS_PER_GHZ * ((gpu.maxSmClockMHz ?? 1000) / 1000), FLOOR_MAX_TFLOPS)
  } else {
    bandwidthGBs = basis.spec.bandwidthGBs
    fp16Tflops = basis.spec.fp16Tflops
  }
  let usableVramGiB = vramGiB
  if (gpu.migEnabled === true) {
    // One agent fronts one runtime, which runs inside one MIG instance: it gets that instance's share
    // of memory (and, roughly, of bandwidth and SMs). MIG on with no instance: CUDA sees no device.
    const instanceMiB = gpu.largestMigInstanceMiB ?? 0
    const share = gpu.vramTotalMiB > 0 ? Math.min(1, instanceMiB / gpu.vramTotalMiB) : 0
    bandwidthGBs *= share
    fp16Tflops *= share
    usableVramGiB = instanceMiB / 1024
  }
  const fit = Math.min(1, usableVramGiB / REFERENCE_MODEL_GIB)
  const score = round1((fit * (bandwidthGBs + fp16Tflops)) / POINTS_DIVISOR)
  return { score, bandwidthGBs: round1(bandwidthGBs), fp16Tflops: round1(fp16Tflops), usableVramGiB, basis }
}

/** A host's score: the sum over its GPUs (aggregate serving capacity); 0 for a CPU-only host. */
export function computeHostScore(gpus: readonly ScoredGpu[]): number {
  return round1(gpus.reduce((sum, gpu) => sum + computeGpuScore(gpu).score, 0))
}
