/**
 * The batching model the learner and the estimate share: how much a batch slows each request, and
 * how many lanes (copies of a model side by side) a node runs. A sample is scaled to one request alone
 * by the batch of its lane, and the estimate prices a request by the batch it would join on one, so
 * the two read a multi-GPU host alike.
 */

/** Assumed batching exponent α of every host (aggregate tokens/s = single × n^α). */
export const ASSUMED_BATCHING_EXPONENT = 0.7
/** Batch sizes up to this use precomputed powers, so a decision computes no Math.pow per node. */
const TABLE_SIZE = 1_025
const SLOWDOWN = Float64Array.from({ length: TABLE_SIZE }, (_, n) => n ** (1 - ASSUMED_BATCHING_EXPONENT))

/** How much slower each of `n` requests decodes than one alone: n^(1−α). */
export function batchSlowdown(n: number): number {
  return n < TABLE_SIZE ? (SLOWDOWN[n] as number) : n ** (1 - ASSUMED_BATCHING_EXPONENT)
}

/** The share of a GPU's memory a model's weights may take and still fit (the rest: KV cache, runtime). */
export const MODEL_SHARE_OF_VRAM = 0.9

/**
 * The lanes a node runs a model in: one per GPU when the model fits one GPU (a runtime per GPU, or
 * Ollama placing models on different GPUs), else one per group of GPUs one copy spans (43 GB of
 * weights on 24 GB cards take two). A single Ollama server runs one copy of a model however many GPUs
 * it has: the Limits section of docs/default-balancer.md says what that costs.
 */
export function lanesFor(gpuCount: number, gpuVramBytes: number, modelBytes: number): number {
  const vram = gpuVramBytes * MODEL_SHARE_OF_VRAM
  if (modelBytes <= vram || vram === 0) return gpuCount
  return Math.max(1, Math.floor(gpuCount / Math.ceil(modelBytes / vram)))
}

/**
 * The batch a finished request decoded in: `inFlight` (the mean of the node's requests at its start
 * and end) over the node's lanes, rounded, at least 1. Counting the whole node's batch read an 8-GPU
 * host at 8 in flight, one request per GPU, 8^(1−α) = 1.87 times as fast per request as it was. The
 * estimate rounds a whole count of requests up instead (`estimateTotal`); here the count is a mean,
 * and a mean of 9 on 8 lanes left most requests alone on theirs. Rounding was measured against
 * rounding up on the balancing benchmark (docs/default-balancer.md, how the constants were chosen).
 */
export function batchPerLane(inFlight: number, lanes: number): number {
  return Math.max(1, Math.round(inFlight / Math.max(1, lanes)))
}
