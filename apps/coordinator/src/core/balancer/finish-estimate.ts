/**
 * The default balancer's one number per candidate: the seconds until a request would finish there,
 * as four terms the reason text and `GET /api/route` show.
 *
 *   L       = lanes assumed for the model (lanesFor)     one per GPU; a model larger than one GPU
 *                                                         spans several, which serve as one lane
 *   n       = ⌈min(load + 1, slots) / L⌉                  the batch it decodes in on its lane
 *   q       = max(0, load + 1 − slots)                   requests queued for a place, itself included,
 *             + held when load + 1 > slots                 and the coordinator's own held requests for
 *                                                         the model (QUEUE_WHEN_BUSY) on a full node
 *   decode  = answerTokens × n^(1−α) / decodeRate         decodeRate: tokens/s of one request alone;
 *                                                         answerTokens: the model's mean answer, or
 *                                                         the client's token limit when shorter
 *   prefill = uncachedPromptTokens / prefillRate          a runtime prefills one prompt at a time
 *   queue   = w × awaitingTokens / L / prefillRate        prompts sent there and not started (no first
 *           + q × (prompt / prefillRate                   byte yet), then places, each freed when a
 *                  + mean answer at ⌈slots / L⌉) / slots  request of the mean length ends
 *   w       = BALANCER_WAITING_WEIGHT (8): those prompts also wait for places and loads, and the tail
 *             of a wait, not its mean, sets p95 (docs/default-balancer.md)
 *   cold    = 0 when the model is resident, else 5 × its load time (LOAD_COST: others wait for it too;
 *             twice that when the node's VRAM is mostly used: loading evicts a model someone reloads)
 *
 * Rates are learned per node and model (FleetKnowledge) and blended with the prior
 * `gpuScore × fleet tokens/s per point` weighted `priorWeight` samples, so an unmeasured node starts
 * where its datasheet, the model's size and its measured peers put it. `gpuScore` is one GPU's speed;
 * capacity enters through `slots` (MAX_CONCURRENCY, learned up and down) and the lanes. Cached
 * prompt tokens come from the prefix index (`PrefixHits`); load = in flight + the runtime's backlog. */
import { batchSlowdown, lanesFor } from '../learning/batching.js'
import type { ModelTable } from '../learning/fleet-knowledge.js'
import { DEFAULT_PRIORS, MIN_SCORE, RESIDENT_AFTER_ROUTING_MS } from '../learning/fleet-knowledge.js'
import { PREFIX_BLOCK_BYTES, type PrefixHits } from '../learning/prefix-index.js'
import type { NodeView } from '../node-view.js'

/** Body bytes per prompt token: JSON-wrapped English runs 4–5; an estimate, only the order matters. */
export const BYTES_PER_TOKEN = 4
/** Above this share of VRAM in use, loading one more model evicts one that is resident. */
export const EVICTING_VRAM_PCT = 60
/**
 * A cold load counts 5 times its time: the request waits for it, so does every request sent there for
 * the model while it loads (Ollama loads one model at a time), and the copy takes memory that the
 * node's other models, and their later requests, would have used. Chosen on the balancing benchmark
 * (seeds 7000-7015, checked on 9000-9015; docs/default-balancer.md). From 2 to 4 it cut cold loads
 * and lowered p95 overall, most in the long tail, though at 30 % load p95 rose in most cells. Once
 * samples were counted per lane (`batchPerLane`), 4 let cold loads rise 5 %; 5 brought them below 4's
 * without it, with the lower p95 TTFT of 5 and 6 (6: lower p95 e2e, fewer cold loads still).
 * The 30 % cells were not checked again at 5.
 */
export const LOAD_COST = 5
export { RESIDENT_AFTER_ROUTING_MS }

const NO_ROWS = new Float64Array(0)

/** Points `context` at `table`'s columns (or at none). */
export function useTable(context: RequestContext, table: ModelTable | undefined, now: number): void {
  context.table = table
  context.now = now
  context.residentSinceMs = now - RESIDENT_AFTER_ROUTING_MS
  if (table === undefined) {
    context.slots = 0
    return
  }
  context.slots = table.slots
  context.decodeMean = table.decodeMean
  context.decodeWeight = table.decodeWeight
  context.prefillMean = table.prefillMean
  context.prefillWeight = table.prefillWeight
  context.reportedLoaded = table.reportedLoaded
  context.routedAtMs = table.routedAtMs
  context.loadingUntilMs = table.loadingUntilMs
}

/**
 * The total of `estimateFinish` without the terms: the per-candidate pass of a decision. Both read the
 * node through `learnRates`, `slotsOf`, `awaitingOn`, `cachedOn` and `coldLoadSeconds`; a property test
 * holds the two equal.
 */
export function estimateTotal(node: NodeView, c: RequestContext): number {
  const loading = learnRates(node, c)
  const decodeRate = c.decodeRate
  const prefillRate = c.prefillRate
  const slot = node.slot
  const max = slotsOf(node, c)
  const lanes = lanesOf(node, c)
  const after = node.inFlight + node.runtimeBacklog + 1
  let total = (c.answerTokens / decodeRate) * batchSlowdown(Math.ceil(Math.min(after, max) / lanes))
  const prompt = c.promptTokens
  if (prompt > 0) total += (prompt - cachedOn(slot, c, prompt)) / prefillRate
  const awaiting = awaitingOn(node, c)
  if (awaiting > 0) total += (c.waitingWeight * awaiting) / lanes / prefillRate
  if (after > max) {
    const turnover =
      prompt / prefillRate + (c.outputTokens / decodeRate) * batchSlowdown(Math.ceil(max / lanes))
    total += ((after - max + c.heldForModel) * turnover) / max
  }
  if (!c.isResident) total += coldLoadSeconds(node, c)
  return total + loading
}

/**
 * Whether the node's estimate is above `seconds` whatever its load: loading the model when the node
 * does not hold it, decoding the answer alone, and prefilling what no node has cached
 * (`uncachedAtLeast`), at the fastest rates the node can have (its prior or its samples, whichever is
 * higher; the blend lies between them) already take longer, and every other term adds to it. A
 * decision skips such a node without estimating it once it cannot be the winner or the runner-up; in a
 * fleet serving many models, most nodes lack the model, and the price of a load alone skips them. The
 * margin keeps rounding in the blend from ever skipping a node that would tie.
 */
export function cannotFinishBefore(node: NodeView, c: RequestContext, seconds: number): boolean {
  const limit = seconds * (1 + 1e-9)
  const alone = aloneAtLeast(node, c)
  return alone > limit || (!residentOn(node, c) && alone + LOAD_COST * c.loadSeconds > limit)
}

/**
 * The fewest seconds the answer's decode and the uncached prefill can take on the node: at the prior
 * rates (one division, `aloneSecondsPerPoint`) or, where it has samples, at the faster of prior and samples.
 */
function aloneAtLeast(node: NodeView, c: RequestContext): number {
  const points = Math.max(node.gpuScore, MIN_SCORE)
  const slot = node.slot
  const decodeWeight = slot < c.slots ? (c.decodeWeight[slot] as number) : 0
  const prefillWeight = slot < c.slots ? (c.prefillWeight[slot] as number) : 0
  if (decodeWeight === 0 && prefillWeight === 0) return c.aloneSecondsPerPoint / points
  let decodeRate = points * c.decodePerPoint
  if (decodeWeight > 0 && (c.decodeMean[slot] as number) > decodeRate)
    decodeRate = c.decodeMean[slot] as number
  let prefillRate = points * c.prefillPerPoint
  if (prefillWeight > 0 && (c.prefillMean[slot] as number) > prefillRate)
    prefillRate = c.prefillMean[slot] as number
  return c.answerTokens / decodeRate + c.uncachedAtLeast / prefillRate
}

/*
 * The parts below are functions of their own so that `estimateTotal` stays small enough for V8 to
 * inline it into the per-candidate loop (bytecode under 460 bytes), and so that `estimateFinish`
 * reads a node exactly as it does.
 */

/**
 * Puts the node's decode and prefill tokens/s for one request alone (its samples blended with the
 * prior) and whether it holds the model into `c`; returns the seconds left of a load the coordinator
 * started there by routing the model (0: none under way).
 */
function learnRates(node: NodeView, c: RequestContext): number {
  const slot = node.slot
  const points = Math.max(node.gpuScore, MIN_SCORE)
  let decodeRate = points * c.decodePerPoint
  let prefillRate = points * c.prefillPerPoint
  const resident = residentOn(node, c)
  let loading = 0
  if (slot < c.slots) {
    const decodeWeight = c.decodeWeight[slot] as number
    if (decodeWeight > 0) {
      decodeRate =
        (c.priorWeight * decodeRate + decodeWeight * (c.decodeMean[slot] as number)) /
        (c.priorWeight + decodeWeight)
    }
    const prefillWeight = c.prefillWeight[slot] as number
    if (prefillWeight > 0) {
      prefillRate =
        (c.priorWeight * prefillRate + prefillWeight * (c.prefillMean[slot] as number)) /
        (c.priorWeight + prefillWeight)
    }
    // A load the coordinator started by routing the model to an Ollama node, not yet reported done.
    const until = c.loadingUntilMs[slot] as number
    if (until > c.now && resident && c.reportedLoaded[slot] === 0 && node.runtimeKind !== 'openai')
      loading = (until - c.now) / 1000
  }
  c.decodeRate = decodeRate
  c.prefillRate = prefillRate
  c.isResident = resident
  return loading
}

/**
 * Whether the node holds the model: an OpenAI-style runtime serves what it was started with; an
 * Ollama node reported it loaded, or this coordinator routed the model there lately.
 */
function residentOn(node: NodeView, c: RequestContext): boolean {
  if (node.runtimeKind === 'openai') return true
  const slot = node.slot
  return (
    slot < c.slots && (c.reportedLoaded[slot] === 1 || (c.routedAtMs[slot] as number) > c.residentSinceMs)
  )
}

/** The lanes the estimate assumes for the model on `node` (`lanesFor`). */
function lanesOf(node: NodeView, c: RequestContext): number {
  return lanesFor(node.gpuCount, node.gpuVramBytes, c.modelBytes)
}

/** Prompt tokens sent to the node that it has not started: this coordinator's and its peers'. */
function awaitingOn(node: NodeView, c: RequestContext): number {
  const slot = node.slot
  return node.othersAwaitingTokens + (slot < c.awaiting.length ? (c.awaiting[slot] as number) : 0)
}

/** Prompt tokens `slot` holds in its prefix cache, at most `prompt`. */
function cachedOn(slot: number, c: RequestContext, prompt: number): number {
  const hits = c.hits
  const cachedBlocks = hits === null || hits.count === 0 ? 0 : hits.blocksOn(slot)
  return cachedBlocks === 0 ? 0 : Math.min(prompt, tokensInBlocks(c, cachedBlocks))
}

/** Prompt tokens in the prompt's first `blocks` prefix blocks (images counted as images). */
export function tokensInBlocks(c: RequestContext, blocks: number): number {
  const byBlock = c.prefixTokens
  return byBlock !== undefined && blocks <= byBlock.length
    ? (byBlock[blocks - 1] as number)
    : (blocks * PREFIX_BLOCK_BYTES) / BYTES_PER_TOKEN
}

/** A cold load's price: twice when the node's VRAM is mostly used (it evicts a resident model). */
function coldLoadSeconds(node: NodeView, c: RequestContext): number {
  return LOAD_COST * ((node.gpuMemoryPct ?? 0) >= EVICTING_VRAM_PCT ? 2 * c.loadSeconds : c.loadSeconds)
}

/**
 * Requests `node` runs at once: MAX_CONCURRENCY, raised to what it was seen running without a wait,
 * capped where a request last waited (FleetKnowledge.capacity and .ceiling). Both were seen with
 * every coordinator's requests on the node, so while the shared store is down they count at this
 * coordinator's share, as MAX_CONCURRENCY does.
 */
export function slotsOf(node: NodeView, c: RequestContext): number {
  const slot = node.slot
  const share = node.capacityShare
  const seen = slot < c.capacity.length ? Math.floor((c.capacity[slot] as number) * share) : 0
  const learnedCeiling = slot < c.ceiling.length ? (c.ceiling[slot] as number) : 0
  const ceiling = learnedCeiling > 0 ? Math.max(1, Math.floor(learnedCeiling * share)) : 0
  const max = Math.max(node.maxConcurrency, 1, seen)
  return ceiling > 0 && ceiling < max ? ceiling : max
}

/** What a decision knows about the request, worked out once before the pass over the candidates. */
export interface RequestContext {
  table: ModelTable | undefined
  /** The table's columns and size, held here so the pass reads locals, not the table's fields. */
  slots: number
  decodeMean: Float64Array
  decodeWeight: Float64Array
  prefillMean: Float64Array
  prefillWeight: Float64Array
  reportedLoaded: Uint8Array
  routedAtMs: Float64Array
  loadingUntilMs: Float64Array
  /** Routed to a node after this, the model is still resident there. */
  residentSinceMs: number
  /** FleetKnowledge.capacity: requests each slot was seen running at once (0: unknown). */
  capacity: Float64Array
  /** FleetKnowledge.ceiling: where each slot last made a request wait (0: none waited). */
  ceiling: Float64Array
  /** FleetKnowledge.awaitingTokens: prompt tokens each slot has not started answering yet. */
  awaiting: Float64Array
  /** BALANCER_WAITING_WEIGHT: those tokens' prefill time counts this many times. */
  readonly waitingWeight: number
  /** SelectRequest.heldForModel: queued for a place on every full node, ahead of or beside this one. */
  heldForModel: number
  /** Scratch of `estimateTotal` for the node at hand (`learnRates`): rates alone, residency. */
  decodeRate: number
  prefillRate: number
  isResident: boolean
  promptTokens: number
  /** The model's weights in bytes (0: unknown; every GPU then counts as a lane). */
  modelBytes: number
  /** The model's mean answer length: what each request ahead in a node's queue will take. */
  outputTokens: number
  /** This request's expected answer: the mean, or the client's token limit when shorter. */
  answerTokens: number
  loadSeconds: number
  decodePerPoint: number
  prefillPerPoint: number
  priorWeight: number
  /** Slots holding a prefix of this prompt; empty without a prompt. */
  hits: PrefixHits | null
  /** RequestProbe.prefixTokens: the tokens up to each block where the body holds media. */
  prefixTokens: Float64Array | undefined
  /** Prompt tokens no node holds in its cache (the prompt less the deepest cached prefix): every node prefills these. */
  uncachedAtLeast: number
  /** Seconds the answer's decode and `uncachedAtLeast`'s prefill take at one score point's prior rates. */
  aloneSecondsPerPoint: number
  now: number
}

export function createRequestContext(waitingWeight: number): RequestContext {
  return {
    table: undefined,
    slots: 0,
    decodeMean: NO_ROWS,
    decodeWeight: NO_ROWS,
    prefillMean: NO_ROWS,
    prefillWeight: NO_ROWS,
    reportedLoaded: new Uint8Array(0),
    routedAtMs: NO_ROWS,
    loadingUntilMs: NO_ROWS,
    residentSinceMs: 0,
    capacity: NO_ROWS,
    ceiling: NO_ROWS,
    awaiting: NO_ROWS,
    waitingWeight,
    heldForModel: 0,
    decodeRate: 0,
    prefillRate: 0,
    isResident: false,
    promptTokens: 0,
    modelBytes: 0,
    outputTokens: DEFAULT_PRIORS.outputTokens,
    answerTokens: DEFAULT_PRIORS.outputTokens,
    loadSeconds: DEFAULT_PRIORS.loadSeconds,
    decodePerPoint: DEFAULT_PRIORS.decodePerPoint,
    prefillPerPoint: DEFAULT_PRIORS.prefillPerPoint,
    priorWeight: 2,
    hits: null,
    prefixTokens: undefined,
    uncachedAtLeast: 0,
    aloneSecondsPerPoint: 0,
    now: 0,
  }
}

/** One candidate's estimate, term by term (filled in place: a decision allocates none). */
export interface EstimateTerms {
  queueS: number
  coldS: number
  prefillS: number
  decodeS: number
  totalS: number
  /**
   * When the first token is expected, in seconds: the queue with its prompts at their prefill time
   * alone, the load's own time, and the prefill. A time, not a price: `w` and the cold-load factors
   * weigh the choice between nodes, not when an answer starts.
   */
  firstTokenS: number
  cachedTokens: number
  /** Prompt tokens sent to the node that it has not started (no first byte yet): the queue's first part. */
  awaitingTokens: number
  isResident: boolean
  /** Loading here evicts a resident model (VRAM mostly used). */
  evicts: boolean
  /** Requests the node runs at once: MAX_CONCURRENCY, or more where it was seen running more. */
  slots: number
  /** The lanes the estimate assumes for the model (`lanesOf`): the node's GPUs, or fewer for a model larger than one. */
  lanes: number
  decodeRate: number
  prefillRate: number
  decodeSamples: number
  prefillSamples: number
}

export function createTerms(): EstimateTerms {
  return {
    queueS: 0,
    coldS: 0,
    prefillS: 0,
    decodeS: 0,
    totalS: 0,
    firstTokenS: 0,
    cachedTokens: 0,
    awaitingTokens: 0,
    isResident: true,
    evicts: false,
    slots: 1,
    lanes: 1,
    decodeRate: 0,
    prefillRate: 0,
    decodeSamples: 0,
    prefillSamples: 0,
  }
}

/** Fills `out` for `node` and returns the total seconds. */
export function estimateFinish(node: NodeView, context: RequestContext, out: EstimateTerms): number {
  const loading = learnRates(node, context)
  const { decodeRate, prefillRate, isResident } = context
  const slot = node.slot
  const max = slotsOf(node, context)
  const lanes = lanesOf(node, context)
  const after = node.inFlight + node.runtimeBacklog + 1
  const queued = after > max ? after - max + context.heldForModel : 0
  const awaiting = awaitingOn(node, context)
  const prompt = context.promptTokens
  const cachedTokens = prompt > 0 ? cachedOn(slot, context, prompt) : 0
  const turnover =
    prompt / prefillRate + (context.outputTokens / decodeRate) * batchSlowdown(Math.ceil(max / lanes))
  const placeS = queued === 0 ? 0 : (queued * turnover) / max
  out.queueS = placeS + (context.waitingWeight * awaiting) / lanes / prefillRate
  out.coldS = isResident ? loading : coldLoadSeconds(node, context)
  out.prefillS = (prompt - cachedTokens) / prefillRate
  out.decodeS = (context.answerTokens / decodeRate) * batchSlowdown(Math.ceil(Math.min(after, max) / lanes))
  out.totalS = out.queueS + out.coldS + out.prefillS + out.decodeS
  const promptsAheadS = awaiting / lanes / prefillRate
  out.firstTokenS = placeS + promptsAheadS + (isResident ? loading : context.loadSeconds) + out.prefillS
  out.cachedTokens = cachedTokens
  out.awaitingTokens = awaiting
  out.isResident = isResident
  out.evicts = !isResident && (node.gpuMemoryPct ?? 0) >= EVICTING_VRAM_PCT
  out.slots = max
  out.lanes = lanes
  out.decodeRate = decodeRate
  out.prefillRate = prefillRate
  out.decodeSamples = slot < context.slots ? (context.decodeWeight[slot] as number) : 0
  out.prefillSamples = slot < context.slots ? (context.prefillWeight[slot] as number) : 0
  return out.totalS
}
