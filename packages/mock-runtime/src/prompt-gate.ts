/**
 * What happens to a prompt before its first token, when the runtime models it: wait for the model to be
 * loaded (residency-gate.ts), look the prompt's leading blocks up in the prefix cache (prefix-cache.ts),
 * and prefill only the uncached part. The result carries what the answer reports: Ollama's
 * `load_duration` and `prompt_eval_duration`, vLLM's `prompt_tokens_details.cached_tokens`.
 *
 * Prefill speed: a profile's `ttftMs` is the prefill of a 512-token prompt for an 8B model plus about
 * 20 ms of fixed overhead (profiles.ts), so one token costs (ttftMs − 20) / 512 ms, scaled by the model's
 * parameter count (prefill is compute-bound: 2 × params FLOPs a token), as the simulation's unitSpeeds.
 */
import type { ModelInfo } from './model-catalog.js'
import { estimateTokenCount } from './output-length.js'
import { PREFIX_BLOCK_TOKENS, PrefixCache, promptBlockIds } from './prefix-cache.js'
import type { GpuProfile } from './profiles.js'
import type { ResidencyGate } from './residency-gate.js'
import type { PromptTotals } from './runtime-stats.js'

const GIB = 1024 ** 3
const REFERENCE_PROMPT_TOKENS = 512
const REFERENCE_PARAMS = 8e9
const PREFILL_OVERHEAD_MS = 20
/**
 * KV bytes a token takes per billion parameters: Llama 3.1 8B keeps 32 layers × 8 KV heads × 128 dims ×
 * (K and V) × 2 bytes = 128 KiB a token, 16 KiB per billion. The mock's catalog knows only sizes.
 */
const KV_BYTES_PER_TOKEN_PER_BILLION = 16 * 1024

export interface PrefixCacheSettings {
  /**
   * VRAM for weights and KV cache (what the runtime's own overhead leaves), GiB; needed only without
   * residency, whose `vramGiB` it shares otherwise.
   */
  readonly vramGiB?: number
}

/** What one prompt's admission decided. */
export interface PromptAdmission {
  readonly promptTokens: number
  /** Prompt tokens found in the prefix cache (a multiple of the block size, below promptTokens). */
  readonly cachedTokens: number
  /** Ollama's `load_duration`, ns of unscaled time (0 when the model was resident). */
  readonly loadDurationNs: number
  /** Ollama's `prompt_eval_duration`: the prefill of the uncached part, ns of unscaled time. */
  readonly prefillNs: number
  /** The same prefill in this process's (speed-scaled) milliseconds: what the scheduler waits. */
  readonly prefillMs: number
  /** The answer ended: its blocks (prompt + answer, the next turn's prefix) go into the cache. */
  answered(answerText: string): void
  release(): void
}

export interface PromptGateOptions {
  /** The unscaled profile. */
  readonly profile: GpuProfile
  readonly speedScale: number
  readonly models: ReadonlyMap<string, ModelInfo>
  readonly residency?: ResidencyGate | undefined
  readonly prefixCache?: PrefixCacheSettings | undefined
}

export function kvBytesPerToken(model: ModelInfo): number {
  return (model.sizeBytes / 0.6 / 1e9) * KV_BYTES_PER_TOKEN_PER_BILLION
}

/** Unscaled ms to prefill `tokens` of `model` on `profile`. */
export function prefillMs(profile: GpuProfile, model: ModelInfo, tokens: number): number {
  const perToken = Math.max(1, profile.ttftMs - PREFILL_OVERHEAD_MS) / REFERENCE_PROMPT_TOKENS
  const params = model.sizeBytes / 0.6
  return PREFILL_OVERHEAD_MS + tokens * perToken * (params / REFERENCE_PARAMS)
}

export class PromptGate {
  readonly cache: PrefixCache | undefined
  readonly speedScale: number
  readonly totals: PromptTotals = { admitted: 0, promptTokens: 0, cachedTokens: 0, coldLoads: 0 }
  private readonly vramBytes: number

  constructor(private readonly options: PromptGateOptions) {
    this.speedScale = options.speedScale
    const residencyVram = options.residency?.vramBytes
    const vramGiB = options.prefixCache?.vramGiB
    this.vramBytes = residencyVram ?? (vramGiB === undefined ? 0 : vramGiB * GIB)
    if (options.prefixCache !== undefined && this.vramBytes === 0)
      throw new RangeError('a prefix cache needs residency or prefixCache.vramGiB (the VRAM it shares)')
    this.cache =
      options.prefixCache === undefined
        ? undefined
        : new PrefixCache(0, (name) => {
            const model = options.models.get(name)
            return model === undefined ? 0 : kvBytesPerToken(model) * PREFIX_BLOCK_TOKENS
          })
  }

  /** Loads the model if needed, then matches the prompt against the cache. */
  async admit(model: ModelInfo, promptText: string): Promise<PromptAdmission> {
    const { residency, speedScale, profile } = this.options
    const load = residency === undefined ? undefined : await residency.admit(model.name, model.sizeBytes)
    const promptTokens = estimateTokenCount(promptText)
    const blocks = this.cache === undefined ? [] : promptBlockIds(model.name, promptText)
    let cachedTokens = 0
    if (this.cache !== undefined) {
      this.fitCache()
      // The last prompt token is always computed (its logits start the answer), as in the simulation.
      cachedTokens = Math.min(this.cache.match(model.name, blocks) * PREFIX_BLOCK_TOKENS, promptTokens - 1)
      // Registered at admission: a request arriving during this prefill already finds the blocks.
      this.cache.insert(model.name, blocks)
    }
    this.totals.admitted++
    this.totals.promptTokens += promptTokens
    this.totals.cachedTokens += cachedTokens
    if ((load?.loadDurationNs ?? 0) > 0) this.totals.coldLoads++
    const unscaledMs =
      this.cache === undefined ? profile.ttftMs : prefillMs(profile, model, promptTokens - cachedTokens)
    return {
      promptTokens,
      cachedTokens,
      loadDurationNs: load?.loadDurationNs ?? 0,
      prefillNs: Math.round(unscaledMs * 1e6),
      prefillMs: unscaledMs / speedScale,
      answered: (answerText) => {
        if (this.cache === undefined) return
        this.fitCache()
        this.cache.insert(model.name, promptBlockIds(model.name, `${promptText}\n${answerText}`))
      },
      release: () => load?.release(),
    }
  }

  /** The cache holds only loaded models' blocks, within the VRAM their weights leave. */
  private fitCache(): void {
    const cache = this.cache
    if (cache === undefined) return
    const residency = this.options.residency
    let weights = 0
    if (residency === undefined) {
      for (const model of this.options.models.values()) weights += model.sizeBytes
    } else {
      const loaded = residency.residency.loaded()
      cache.retainModels(new Set(loaded.map((entry) => entry.name)))
      for (const entry of loaded) weights += entry.sizeBytes
    }
    cache.resize(this.vramBytes - weights)
  }
}
