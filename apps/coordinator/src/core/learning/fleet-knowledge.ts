/**
 * FleetKnowledge: what the default balancer has learned from the traffic it proxied, as plain data in
 * memory. Soft state: empty after a restart and rebuilt from the next responses; a node that leaves
 * takes its rows with it (`forgetSlot`).
 *
 * Per model and node (by the registry's dense `slot`, so the balancer reads typed arrays instead of
 * hashing a key per candidate): the decode and prefill rates a request would get *alone* on that node
 * (a rate seen at n in flight on the request's lane is scaled to n = 1 with the batching model,
 * batching.ts), each a
 * decayed mean with its weight; whether the model is resident there. Per model, fleet-wide: how many
 * tokens/s one datasheet score point buys (decode and prefill), how long a cold load takes, how many
 * tokens an answer has. The fleet-wide ratios turn the datasheet score into the prior of a node that
 * has no samples yet, so a new node starts where its peers' measurements put it.
 *
 * Decay: each sample counts 1 and every weight halves every `halfLifeMs`, applied in one multiply per
 * `refresh` (at most once per `REFRESH_MS`), so a decision never computes an exponential. A weight is
 * capped at `maxWeight`, so a node that turns slower moves its mean within a few samples however
 * long it ran before. Pure: time is always passed in.
 */
import { ollamaModelKey } from '../model-name.js'
import { batchPerLane, batchSlowdown, lanesFor } from './batching.js'

/**
 * The name the fleet learns a model under: Ollama's normal form. Every spelling a client may send for
 * one model (case, an implied `:latest`) shares one table, so clients cannot grow the tables; an
 * OpenAI-compatible node routes only its exact names, for which the normal form is as distinct.
 */
export const learnedModelKey = ollamaModelKey

/** Ollama unloads an idle model after keep_alive (5 min by default): routed longer ago counts as cold. */
export const RESIDENT_AFTER_ROUTING_MS = 5 * 60_000

/** Scores below this (a CPU-only host scores 0) count as this, so such nodes rank last but stay usable. */
export const MIN_SCORE = 0.1

/** Priors before any sample, per datasheet score point (≈ mock runtime and an 8B model at Q4 on real cards). */
export const DEFAULT_PRIORS = {
  /** The weights the per-point rates below are for: Llama 3.1 8B at Q4_K_M, as `ollama pull` stores it. */
  referenceBytes: 4.9e9,
  /** Disk to VRAM, bytes/s: a model's load takes its size over this before any load was seen. */
  loadBytesPerS: 2e9,
  /** Decode tokens/s one request gets alone, per score point (an RTX 3090, 100.7 points, ≈ 100 tok/s). */
  decodePerPoint: 1,
  /** Prefill tokens/s per score point (an H100, 434 points, ≈ 13 000 tok/s on an 8B model). */
  prefillPerPoint: 30,
  /** Seconds a cold load takes before any was seen. */
  loadSeconds: 5,
  /** Tokens an answer has before any was seen. */
  outputTokens: 256,
} as const

export interface FleetKnowledgeOptions {
  /** Half-life of a sample's weight (`BALANCER_HALF_LIFE_MS`). */
  readonly halfLifeMs: number
  /** Most weight a mean carries, in samples: caps how long a change takes to show. Default 10. */
  readonly maxWeight?: number
  /** Weight of the datasheet prior, in samples. Default 1. */
  readonly priorWeight?: number
}

/** Weights are decayed at most this often (one multiply over every row). */
const REFRESH_MS = 500

/** A decayed mean: `mean` of the samples, `weight` their decayed count. */
export interface DecayedMean {
  mean: number
  weight: number
}

function addSample(stat: DecayedMean, value: number, maxWeight: number): void {
  const weight = stat.weight + 1
  stat.mean += (value - stat.mean) / weight
  stat.weight = Math.min(weight, maxWeight)
}

/** Everything learned about one model: per-slot columns and fleet-wide means. */
export class ModelTable {
  decodeMean = new Float64Array(0)
  decodeWeight = new Float64Array(0)
  prefillMean = new Float64Array(0)
  prefillWeight = new Float64Array(0)
  /** When the coordinator last sent this model to the slot (0: never); it is resident after that. */
  routedAtMs = new Float64Array(0)
  /** The slot's latest push listed this model as loaded (1), not loaded (0). */
  reportedLoaded = new Uint8Array(0)
  /**
   * Routed to a slot that did not hold it, the model loads there until about this time (0: not
   * loading): a request sent meanwhile waits for the rest of the load, it is not resident yet.
   */
  loadingUntilMs = new Float64Array(0)
  /** Fleet-wide, tokens/s per score point; the prior of a node without samples. */
  readonly decodePerPoint: DecayedMean = { mean: DEFAULT_PRIORS.decodePerPoint, weight: 0 }
  readonly prefillPerPoint: DecayedMean = { mean: DEFAULT_PRIORS.prefillPerPoint, weight: 0 }
  readonly loadSeconds: DecayedMean = { mean: DEFAULT_PRIORS.loadSeconds, weight: 0 }
  readonly outputTokens: DecayedMean = { mean: DEFAULT_PRIORS.outputTokens, weight: 0 }
  /** The model's weights in bytes, as a node reported them (0: unknown). */
  sizeBytes = 0

  constructor(slots: number) {
    this.grow(slots)
  }

  get slots(): number {
    return this.decodeMean.length
  }

  grow(slots: number): void {
    if (slots <= this.slots) return
    const size = Math.max(slots, this.slots * 2, 16)
    this.decodeMean = resized(this.decodeMean, size)
    this.decodeWeight = resized(this.decodeWeight, size)
    this.prefillMean = resized(this.prefillMean, size)
    this.prefillWeight = resized(this.prefillWeight, size)
    this.routedAtMs = resized(this.routedAtMs, size)
    this.loadingUntilMs = resized(this.loadingUntilMs, size)
    const loaded = new Uint8Array(size)
    loaded.set(this.reportedLoaded)
    this.reportedLoaded = loaded
  }

  clearSlot(slot: number): void {
    if (slot >= this.slots) return
    this.decodeMean[slot] = 0
    this.decodeWeight[slot] = 0
    this.prefillMean[slot] = 0
    this.prefillWeight[slot] = 0
    this.routedAtMs[slot] = 0
    this.reportedLoaded[slot] = 0
    this.loadingUntilMs[slot] = 0
  }
}

function resized(array: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(size)
  grown.set(array)
  return grown
}

/** One finished response, as the proxy measured it and the runtime reported it. */
export interface CompletionSample {
  readonly slot: number
  readonly model: string
  /** The node's datasheet speed of one GPU (`NodeView.gpuScore`), to calibrate the fleet prior. */
  readonly gpuScore: number
  /** The node's GPUs and the memory of one (`NodeView`): with the model's size, its lanes (`lanesFor`). */
  readonly gpuCount: number
  readonly gpuVramBytes: number
  /** Requests on the node while this one ran (mean of its start and end, itself included). */
  readonly concurrency: number
  /** Decode tokens and seconds (Ollama `eval_count`/`eval_duration`, or the stream's span). */
  readonly decodeTokens: number | null
  readonly decodeSeconds: number | null
  /** Prompt tokens the runtime evaluated (cached ones excluded) and the seconds they took. */
  readonly prefillTokens: number | null
  readonly prefillSeconds: number | null
  /** Seconds spent loading the model (Ollama `load_duration`), null where not reported. */
  readonly loadSeconds: number | null
  /** Tokens in the answer (for the expected answer length of the model). */
  readonly outputTokens: number | null
  /**
   * Seconds the request waited inside the runtime for a slot (Ollama: `total_duration` minus load,
   * prompt eval and eval), null where not reported. None while `startConcurrency` requests were on
   * the node shows it runs at least that many at once, whatever MAX_CONCURRENCY says.
   */
  readonly queuedSeconds?: number | null
  /** Requests on the node when this one was sent, itself included. */
  readonly startConcurrency?: number
}

/** Below this, a load duration is a warm model's bookkeeping, not a load from disk. */
const COLD_LOAD_MIN_SECONDS = 0.5
/** Fewer prompt tokens than this time setup, not prefill: too noisy to learn a rate from. */
const MIN_PREFILL_TOKENS = 32
const MIN_DECODE_TOKENS = 8
/** A wait for a slot shorter than this is scheduling noise, not queueing. */
const UNQUEUED_SECONDS = 0.05
/** A wait longer than this shows the node was full: it serves fewer at once than were on it. */
const QUEUED_SECONDS = 0.25

export class FleetKnowledge {
  readonly halfLifeMs: number
  readonly maxWeight: number
  readonly priorWeight: number
  readonly #models = new Map<string, ModelTable>()
  /**
   * Per slot: the most requests the node was seen running at once without queueing one (0: never
   * seen). A host registered with the agent's default MAX_CONCURRENCY of 4 but serving 8 GPUs shows
   * its real capacity here after its first busy minutes.
   */
  capacity = new Float64Array(16)
  /**
   * Per slot: the most requests the node runs without making one wait, from the last request that
   * waited (0: none waited). A host whose MAX_CONCURRENCY counts slots a model cannot use (a dispatcher
   * over GPUs that each hold different models, a runtime that loads a second copy only when one is
   * full) queues below it; this caps the estimate there until an unqueued answer lifts it again.
   */
  ceiling = new Float64Array(16)
  /**
   * Per slot: prompt tokens sent to the node that it has not answered with a first byte yet (its cached
   * prefix left out): the prefill work queued there. A runtime prefills one prompt at a time per GPU,
   * so a request's first token waits for this work, however few requests are in flight.
   */
  awaitingTokens = new Float64Array(16)
  #slots = 0
  #refreshedAtMs = Number.NaN

  constructor(options: FleetKnowledgeOptions) {
    if (!(options.halfLifeMs > 0)) throw new RangeError('halfLifeMs must be positive')
    this.halfLifeMs = options.halfLifeMs
    this.maxWeight = options.maxWeight ?? 10
    this.priorWeight = options.priorWeight ?? 1
  }

  /** The model's table, created empty on first use. */
  table(model: string): ModelTable {
    return this.#tableByKey(learnedModelKey(model))
  }

  /** The model's table if anything was learned or routed for it; undefined keeps a decision allocation-free. */
  peek(model: string): ModelTable | undefined {
    return this.#models.get(learnedModelKey(model))
  }

  #tableByKey(key: string): ModelTable {
    let table = this.#models.get(key)
    if (table === undefined) {
      table = new ModelTable(this.#slots)
      this.#models.set(key, table)
    }
    return table
  }

  /** Models with a table, by `learnedModelKey` (for `GET /api/route`). */
  models(): IterableIterator<string> {
    return this.#models.keys()
  }

  /** Makes room for slots below `slots` in every table (the registry's slot count grew). */
  ensureSlots(slots: number): void {
    if (slots <= this.#slots) return
    this.#slots = slots
    if (slots > this.capacity.length)
      this.capacity = resized(this.capacity, Math.max(slots, this.capacity.length * 2))
    if (slots > this.ceiling.length)
      this.ceiling = resized(this.ceiling, Math.max(slots, this.ceiling.length * 2))
    if (slots > this.awaitingTokens.length)
      this.awaitingTokens = resized(this.awaitingTokens, Math.max(slots, this.awaitingTokens.length * 2))
    for (const table of this.#models.values()) table.grow(slots)
  }

  /** A node left: everything learned about it goes, so a node that reuses the slot starts clean. */
  forgetSlot(slot: number): void {
    if (slot < this.capacity.length) this.capacity[slot] = 0
    if (slot < this.ceiling.length) this.ceiling[slot] = 0
    if (slot < this.awaitingTokens.length) this.awaitingTokens[slot] = 0
    for (const table of this.#models.values()) table.clearSlot(slot)
  }

  /**
   * A node reported the size of the models it serves. Until samples arrive, a model's rates and load
   * time follow its size: decode reads every weight once per token and prefill does about two FLOPs
   * per parameter per token, so a 43 GB 70B model is about a ninth as fast as a 4.9 GB 8B one on the
   * same GPU, and takes nine times as long to load.
   */
  noteModelSizes(models: readonly { readonly name: string; readonly sizeBytes: number }[]): void {
    for (const model of models) {
      if (!(model.sizeBytes > 0)) continue
      const table = this.table(model.name)
      table.sizeBytes = model.sizeBytes
      const ratio = DEFAULT_PRIORS.referenceBytes / model.sizeBytes
      if (table.decodePerPoint.weight === 0) table.decodePerPoint.mean = DEFAULT_PRIORS.decodePerPoint * ratio
      if (table.prefillPerPoint.weight === 0)
        table.prefillPerPoint.mean = DEFAULT_PRIORS.prefillPerPoint * ratio
      if (table.loadSeconds.weight === 0)
        table.loadSeconds.mean = model.sizeBytes / DEFAULT_PRIORS.loadBytesPerS
    }
  }

  /** `tokens` of prompt were sent to `slot` (+) or answered with a first byte (−). */
  addAwaiting(slot: number, tokens: number): void {
    this.ensureSlots(slot + 1)
    this.awaitingTokens[slot] = Math.max(0, (this.awaitingTokens[slot] as number) + tokens)
  }

  /** Decays every weight to `now` (cheap enough per decision: it runs at most every 500 ms). */
  refresh(now: number): void {
    if (Number.isNaN(this.#refreshedAtMs)) {
      this.#refreshedAtMs = now
      return
    }
    const elapsed = now - this.#refreshedAtMs
    if (elapsed < REFRESH_MS) return
    this.#refreshedAtMs = now
    const factor = 2 ** (-elapsed / this.halfLifeMs)
    for (const table of this.#models.values()) {
      scale(table.decodeWeight, factor)
      scale(table.prefillWeight, factor)
      table.decodePerPoint.weight *= factor
      table.prefillPerPoint.weight *= factor
      table.loadSeconds.weight *= factor
      table.outputTokens.weight *= factor
    }
  }

  /** The coordinator sent `model` to `slot`: it is resident there from now on until a push says otherwise. */
  noteRouted(slot: number, model: string, now: number): void {
    this.ensureSlots(slot + 1)
    const table = this.table(model)
    const routedAtMs = table.routedAtMs[slot] as number
    const wasResident =
      table.reportedLoaded[slot] === 1 || (routedAtMs > 0 && now - routedAtMs < RESIDENT_AFTER_ROUTING_MS)
    if (!wasResident) table.loadingUntilMs[slot] = now + table.loadSeconds.mean * 1000
    table.routedAtMs[slot] = now
  }

  /**
   * A metrics push listed `loaded` as resident on `slot` (Ollama `/api/ps`). Models the coordinator
   * routed there after `pushTakenMs` stay resident: the push predates them.
   */
  noteLoaded(slot: number, loaded: ReadonlySet<string>, pushTakenMs: number): void {
    this.ensureSlots(slot + 1)
    const loadedKeys = new Set<string>()
    for (const model of loaded) loadedKeys.add(learnedModelKey(model))
    for (const key of loadedKeys) {
      const table = this.#tableByKey(key)
      table.reportedLoaded[slot] = 1
      table.loadingUntilMs[slot] = 0
    }
    for (const [key, table] of this.#models) {
      if (loadedKeys.has(key)) continue
      table.reportedLoaded[slot] = 0
      if ((table.loadingUntilMs[slot] as number) < pushTakenMs) table.loadingUntilMs[slot] = 0
      // Evicted since we last routed it here (Ollama's keep_alive ran out, or VRAM was needed).
      if ((table.routedAtMs[slot] as number) < pushTakenMs) table.routedAtMs[slot] = 0
    }
  }

  /** Learns from one finished response. */
  observe(sample: CompletionSample): void {
    this.ensureSlots(sample.slot + 1)
    const table = this.table(sample.model)
    const slot = sample.slot
    // An answer came back: whatever load it waited for is done.
    table.loadingUntilMs[slot] = 0
    const maxWeight = this.maxWeight
    // Scaled to "alone" by the batch of the request's lane, as the estimate prices it (finish-estimate.ts).
    const lanes = lanesFor(sample.gpuCount, sample.gpuVramBytes, table.sizeBytes)
    const alone = batchSlowdown(batchPerLane(sample.concurrency, lanes))
    // A node scored below the floor is estimated at the floor: its speed says nothing per point (and a
    // denormal score would make the fleet's per-point rate infinite).
    const points = sample.gpuScore >= MIN_SCORE ? sample.gpuScore : 0
    if (isRate(sample.decodeTokens, sample.decodeSeconds, MIN_DECODE_TOKENS)) {
      const rate = ((sample.decodeTokens as number) / (sample.decodeSeconds as number)) * alone
      const stat = { mean: table.decodeMean[slot] as number, weight: table.decodeWeight[slot] as number }
      addSample(stat, rate, maxWeight)
      table.decodeMean[slot] = stat.mean
      table.decodeWeight[slot] = stat.weight
      if (points > 0) addSample(table.decodePerPoint, rate / points, maxWeight * 4)
    }
    if (isRate(sample.prefillTokens, sample.prefillSeconds, MIN_PREFILL_TOKENS)) {
      const rate = ((sample.prefillTokens as number) / (sample.prefillSeconds as number)) * alone
      const stat = { mean: table.prefillMean[slot] as number, weight: table.prefillWeight[slot] as number }
      addSample(stat, rate, maxWeight)
      table.prefillMean[slot] = stat.mean
      table.prefillWeight[slot] = stat.weight
      if (points > 0) addSample(table.prefillPerPoint, rate / points, maxWeight * 4)
    }
    if (sample.loadSeconds !== null && sample.loadSeconds >= COLD_LOAD_MIN_SECONDS) {
      addSample(table.loadSeconds, sample.loadSeconds, maxWeight)
    }
    if (sample.outputTokens !== null && sample.outputTokens > 0) {
      addSample(table.outputTokens, sample.outputTokens, maxWeight * 4)
    }
    const queued = sample.queuedSeconds
    const started = sample.startConcurrency
    if (queued === null || queued === undefined || started === undefined) return
    const seen = Math.floor(started)
    if (queued < UNQUEUED_SECONDS) {
      // One more than seen: probing upward one slot at a time finds a misconfigured MAX_CONCURRENCY
      // within as many responses, and a queued answer stops the probe there.
      this.capacity[slot] = Math.max(this.capacity[slot] as number, seen + 1)
      const ceiling = this.ceiling[slot] as number
      if (ceiling > 0 && ceiling < seen + 1) this.ceiling[slot] = seen + 1
    } else if (queued >= QUEUED_SECONDS) {
      const ceiling = this.ceiling[slot] as number
      const below = Math.max(1, seen - 1)
      if (ceiling === 0 || ceiling > below) this.ceiling[slot] = below
      if ((this.capacity[slot] as number) > below) this.capacity[slot] = below
    }
  }
}

function isRate(tokens: number | null, seconds: number | null, minTokens: number): boolean {
  return tokens !== null && seconds !== null && tokens >= minTokens && seconds > 0 && Number.isFinite(seconds)
}

function scale(array: Float64Array, factor: number): void {
  for (let i = 0; i < array.length; i++) array[i] = (array[i] as number) * factor
}
