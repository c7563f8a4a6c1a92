/** The shape every balancing strategy shares, and the inputs `select` takes besides the nodes. */
import type { RuntimeKind } from '@llm-fleet/types'
import { FleetKnowledge } from '../learning/fleet-knowledge.js'
import { PrefixHits, PrefixIndex } from '../learning/prefix-index.js'
import type { NodeView } from '../node-view.js'
import {
  createRequestContext,
  createTerms,
  type EstimateTerms,
  type RequestContext,
} from './finish-estimate.js'
import { ModelVerdicts } from './model-verdicts.js'
import type { Selection } from './selection.js'
import type { BalancerMode } from './strategies.js'

/** The API family a client spoke: OpenAI requests may go to Ollama nodes too (Ollama serves /v1/*). */
export type ApiKind = RuntimeKind

export interface SelectRequest {
  /** The model the request names; absent for requests that do not name one. */
  readonly model?: string | undefined
  /** `ollamaModelKey(model)`, computed once per request; derived here when absent. */
  readonly ollamaModelKey?: string | undefined
  readonly apiKind: ApiKind
  /** Milliseconds since the epoch; time is an input, never read inside `core/`. */
  readonly now: number
  /** Nodes already tried for this request (failover). */
  readonly exclude: ReadonlySet<string>
  /** What the default balancer estimates prefill and cache hits from; absent: decode and queue only. */
  readonly probe?: RequestProbe | undefined
  /**
   * Other requests for this model and API held in this coordinator's queue (`QUEUE_WHEN_BUSY`), each
   * waiting for a place on a full node: the default balancer counts them in every full node's queue.
   * Absent: none.
   */
  readonly heldForModel?: number | undefined
}

/** The prompt as the balancer sees it, worked out once per request (never per candidate). */
export interface RequestProbe {
  /** Estimated prompt tokens (body bytes over `BYTES_PER_TOKEN`). */
  readonly promptTokens: number
  /** `prefixBlockHashes` of the body: what the prefix index is looked up and recorded with. */
  readonly prefixHashes: Int32Array
  /**
   * The most tokens the client lets the answer have (`max_tokens`, `num_predict`, …): the expected
   * answer is the model's learned mean length, or this when it is shorter. Absent: no limit.
   */
  readonly maxOutputTokens?: number | undefined
  /**
   * Prompt tokens up to the end of each prefix block, where the body holds inline media
   * (`prefixTokens` in inline-media.ts); absent: every block is text, `PREFIX_BLOCK_BYTES / BYTES_PER_TOKEN`.
   */
  readonly prefixTokens?: Float64Array | undefined
}

/**
 * When a node counts as busy from its pushed metrics (`BUSY_CPU_PCT`, `BUSY_GPU_PCT`). The in-flight
 * rule (`inFlight + runtimeBacklog >= maxConcurrency`) needs no threshold.
 */
export interface BusyThresholds {
  /** Host CPU above this percentage is busy (default 80). */
  readonly cpuPct: number
  /** Mean GPU utilization above this percentage is busy (default 90). */
  readonly gpuUtilPct: number
}

export const DEFAULT_BUSY_THRESHOLDS: BusyThresholds = { cpuPct: 80, gpuUtilPct: 90 }

/**
 * The part of balancing that is not a function of the nodes: which strategy runs, its thresholds,
 * and the mutable round-robin cursors and random source. Owned by the caller (one per coordinator,
 * one per simulated strategy), so `select` itself keeps no hidden state.
 */
export interface BalancerState {
  /** The strategy `select` dispatches to (`LOAD_BALANCER_MODE`). */
  readonly mode: BalancerMode
  readonly busy: BusyThresholds
  /** Rotating cursors, keyed by the set they rotate over (a tier, the all-busy set, …). */
  readonly cursors: Map<string, number>
  /** Uniform in [0, 1); injected so that simulations are seeded and deterministic. */
  readonly random: () => number
  /**
   * Scratch space `select` reuses for the filtered candidates, so a decision allocates nothing in the
   * common case (a fresh array per call costs more than the filtering at 1 000 nodes). Strategies
   * receive it as `candidates` and must not keep it past the call.
   */
  readonly candidateBuffer: NodeView[]
  /**
   * Scratch space for the nodes tied for best, gathered during a strategy's one pass so that the
   * rotating pick among them needs no second pass over the candidates. Only valid during the call.
   */
  readonly tieBuffer: NodeView[]
  /** What `select`'s model filter found at each position last time, per model (model-verdicts.ts). */
  readonly modelVerdicts: ModelVerdicts
  /**
   * What the default balancer learned from proxied traffic (rates, residency). Shared by reference:
   * `explain`'s copy of the state reads the same knowledge. Fed by the proxy's learning observer.
   */
  readonly knowledge: FleetKnowledge
  /** Which nodes computed which prompt prefixes recently; fed like `knowledge`. */
  readonly prefixIndex: PrefixIndex
  /** Scratch for one decision of the default balancer (valid during the call only). */
  readonly scratch: {
    readonly context: RequestContext
    readonly hits: PrefixHits
    readonly terms: EstimateTerms
  }
}

/**
 * The learning settings (`BALANCER_HALF_LIFE_MS`, `BALANCER_WAITING_WEIGHT`, `PREFIX_INDEX_MAX_ENTRIES`,
 * `PREFIX_CACHE_TTL_MS`).
 */
export interface LearningOptions {
  readonly halfLifeMs: number
  readonly waitingWeight: number
  readonly prefixMaxEntries: number
  readonly prefixTtlMs: number
}

export const DEFAULT_LEARNING: LearningOptions = {
  halfLifeMs: 30_000,
  waitingWeight: 8,
  prefixMaxEntries: 1_048_576,
  prefixTtlMs: 10 * 60_000,
}

export interface BalancerOptions {
  /** Default `fastest-finish`, as `LOAD_BALANCER_MODE`'s (config.ts). */
  readonly mode?: BalancerMode
  /** Default {@link DEFAULT_BUSY_THRESHOLDS}. */
  readonly busy?: BusyThresholds
  /** Default {@link DEFAULT_LEARNING}. */
  readonly learning?: LearningOptions
}

/**
 * A fresh state: cursors at 0.
 * @example createBalancerState(Math.random, { mode: 'spec', busy: { cpuPct: 80, gpuUtilPct: 90 } })
 */
export function createBalancerState(random: () => number, options: BalancerOptions = {}): BalancerState {
  const learning = options.learning ?? DEFAULT_LEARNING
  return {
    mode: options.mode ?? 'fastest-finish',
    busy: options.busy ?? DEFAULT_BUSY_THRESHOLDS,
    cursors: new Map(),
    random,
    candidateBuffer: [],
    tieBuffer: [],
    modelVerdicts: new ModelVerdicts(),
    knowledge: new FleetKnowledge({ halfLifeMs: learning.halfLifeMs }),
    prefixIndex: new PrefixIndex({ maxEntries: learning.prefixMaxEntries, ttlMs: learning.prefixTtlMs }),
    scratch: {
      context: createRequestContext(learning.waitingWeight),
      hits: new PrefixHits(),
      terms: createTerms(),
    },
  }
}

/**
 * Whether a node has no room now: its in-flight count (ours plus the runtime's own backlog) reached
 * its capacity, or its fresh metrics run hot. A node without fresh metrics is judged by in-flight alone,
 * so a node that has just registered is not busy.
 */
export function isBusy(node: NodeView, busy: BusyThresholds): boolean {
  if (node.inFlight + node.runtimeBacklog >= node.maxConcurrency) return true
  if (!node.hasFreshMetrics) return false
  return (node.cpuPct ?? 0) > busy.cpuPct || (node.gpuUtilPct ?? 0) > busy.gpuUtilPct
}

/**
 * Ends a strategy's use of `state.tieBuffer`: trims it to this call's `count`, so it keeps no reference
 * to older snapshots' nodes beyond what the call needed, and returns the node at `index`.
 */
export function takeTied(state: BalancerState, count: number, index: number): NodeView {
  const ties = state.tieBuffer
  if (ties.length !== count) ties.length = count
  const node = ties[index]
  if (node === undefined) throw new Error('tie buffer: index out of range')
  return node
}

/**
 * A strategy picks among candidates that already passed the common filters (state, kind, model,
 * exclude, cool-down). `candidates` is never empty and is only valid during the call.
 */
export type Strategy = (
  candidates: readonly NodeView[],
  request: SelectRequest,
  state: BalancerState,
) => Selection
