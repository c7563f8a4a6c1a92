/**
 * NodeView: the read-only snapshot of one node that a balancing strategy sees. The registry
 * precomputes it when a node registers or pushes metrics, so `select` never parses or recomputes.
 */
import type { NodeState, RuntimeKind } from '@llm-fleet/types'

export interface NodeView {
  readonly id: string
  /** Display name (the registered hostname). */
  readonly name: string
  readonly runtimeKind: RuntimeKind
  /** The agent's compute score: higher serves LLMs faster. Summed over the host's GPUs (capacity). */
  readonly computeScore: number
  /**
   * The datasheet speed one request gets: a request runs on one GPU (or one tensor-parallel group), so
   * an 8-GPU host is not 8x faster per request. The score of the host's GPUs over their count.
   */
  readonly gpuScore: number
  /**
   * GPUs on the host (at least 1). A runtime prefills one prompt at a time per GPU (or per
   * tensor-parallel group), so prompts queue per GPU, not per host; the default balancer's lanes for a
   * model (`lanesFor` in core/learning/batching.ts) are these, or fewer for a model larger than one GPU.
   */
  readonly gpuCount: number
  /** The smallest GPU's memory in bytes (0: unknown): a model larger than this spans several GPUs. */
  readonly gpuVramBytes: number
  /**
   * A small integer unique among the nodes held now (reused after a node leaves): the row of this
   * node in the balancer's learned tables, so a decision reads arrays instead of hashing ids.
   */
  readonly slot: number
  /** Requests the coordinator is proxying to this node now (exact: counted by leases). */
  readonly inFlight: number
  /**
   * What the runtime reports beyond the coordinator's own count (the agent's `activeRequests` minus
   * `inFlight`, floored at 0): traffic that bypasses the coordinator. 0 without metrics.
   */
  readonly runtimeBacklog: number
  /**
   * Prompt tokens other coordinators sent to the node that it has not started answering (through the
   * shared store; 0 without one). This coordinator's own are in the balancer's learned state.
   */
  readonly othersAwaitingTokens: number
  /** Requests the runtime serves at once (this coordinator's share of them while `capacityShare` < 1). */
  readonly maxConcurrency: number
  /**
   * This coordinator's share of the node's places: 1, or 1/N while the shared store is unreachable and
   * N coordinators split every node. `maxConcurrency` is already divided; a capacity the balancer
   * learned (from all coordinators' requests) is scaled by it, so N coordinators stay within the node.
   */
  readonly capacityShare: number
  readonly state: NodeState
  /** Whether the latest metrics arrived within the TTL (false before the first push). */
  readonly hasFreshMetrics: boolean
  /** The latest metrics, null before the first push. */
  readonly cpuPct: number | null
  readonly memoryPct: number | null
  readonly gpuUtilPct: number | null
  readonly gpuMemoryPct: number | null
  /** Models the runtime serves (from the registration, refreshed by each push). */
  readonly models: ReadonlySet<string>
  /**
   * What requests are matched against: `models` itself for an OpenAI-compatible runtime (exact names),
   * Ollama's normal forms for an Ollama runtime (`modelKeyFor`). Never the same Set for both kinds.
   * Never mutated once in a view: `select` remembers its verdict per Set between calls.
   */
  readonly modelKeys: ReadonlySet<string>
  /** While set and later than the request's `now`, the node is skipped after repeated upstream failures. */
  readonly coolingDownUntilMs: number | null
}
