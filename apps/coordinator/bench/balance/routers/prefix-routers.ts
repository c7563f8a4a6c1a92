/**
 * The prefix-aware routers, each following its source. All keep router-side prefix state built from
 * their own routing decisions (none asks the hosts what they cache), over the same block chain ids.
 */

import { BLOCK_TOKENS } from '../world/catalog.js'
import type { Outcome, RoutedRequest, Router, RouterHost, ScrapedMetrics } from './router.js'

/**
 * SGLang's router `cache_aware` policy (sgl-project/sglang `sgl-router/src/policies/cache_aware.rs`,
 * defaults cache_threshold 0.3, balance_abs_threshold 64, balance_rel_threshold 1.5):
 * - load = the router's in-flight count per worker; imbalanced when max − min > 64 and
 *   max > 1.5 × min over the model's workers: then the least-loaded worker, and the request is still
 *   inserted into the tree;
 * - else the approximate radix tree of the model (per-worker, from past routing): match rate =
 *   matched prefix ÷ prompt; above 0.3 the worker holding the longest match, else the worker with the
 *   smallest tree (most free cache, in its model).
 * The tree here is keyed by block chain ids instead of characters; its LRU size cap (evicted in the
 * background) is never reached in a run of this size, so it is not modelled.
 */
export class SglangCacheAwareRouter implements Router {
  readonly name = 'sglang-cache-aware'
  private readonly inFlight = new Map<string, number>()
  /** block id → worker → last access. */
  private readonly tree = new Map<number, Map<string, number>>()
  /** model → worker → blocks in its tree. */
  private readonly treeSize = new Map<string, Map<string, number>>()
  private clock = 0

  constructor(
    private readonly random: () => number,
    private readonly config = { cacheThreshold: 0.3, balanceAbsThreshold: 64, balanceRelThreshold: 1.5 },
  ) {}

  addHost(host: RouterHost): void {
    this.inFlight.set(host.id, 0)
  }
  removeHost(): void {}

  route(request: RoutedRequest, candidates: readonly RouterHost[]): string {
    let max = 0
    let min = Number.POSITIVE_INFINITY
    for (const host of candidates) {
      const load = this.inFlight.get(host.id) ?? 0
      max = Math.max(max, load)
      min = Math.min(min, load)
    }
    const imbalanced =
      max - min > this.config.balanceAbsThreshold && max > min * this.config.balanceRelThreshold
    let chosen: string
    if (imbalanced) chosen = this.leastLoaded(candidates)
    else {
      const [matchedBlocks, worker] = this.prefixMatch(request, candidates)
      const rate = request.promptTokens > 0 ? (matchedBlocks * BLOCK_TOKENS) / request.promptTokens : 0
      chosen =
        rate > this.config.cacheThreshold && worker !== undefined
          ? worker
          : this.smallestTree(request, candidates)
    }
    this.insert(request, chosen)
    this.inFlight.set(chosen, (this.inFlight.get(chosen) ?? 0) + 1)
    return chosen
  }

  observe(outcome: Outcome): void {
    this.inFlight.set(outcome.hostId, (this.inFlight.get(outcome.hostId) ?? 1) - 1)
  }

  private leastLoaded(candidates: readonly RouterHost[]): string {
    let best = candidates[0] as RouterHost
    for (const host of candidates) {
      if ((this.inFlight.get(host.id) ?? 0) < (this.inFlight.get(best.id) ?? 0)) best = host
    }
    return best.id
  }

  private prefixMatch(
    request: RoutedRequest,
    candidates: readonly RouterHost[],
  ): [number, string | undefined] {
    const allowed = new Set(candidates.map((host) => host.id))
    let matched = 0
    let worker: string | undefined
    for (const block of request.promptBlocks) {
      const tenants = this.tree.get(block)
      if (tenants === undefined) break
      let newest: string | undefined
      let newestAt = -1
      for (const [tenant, at] of tenants) {
        if (allowed.has(tenant) && at > newestAt) {
          newest = tenant
          newestAt = at
        }
      }
      if (newest === undefined) break
      matched++
      worker = newest
    }
    return [matched, worker]
  }

  private smallestTree(request: RoutedRequest, candidates: readonly RouterHost[]): string {
    const sizes = this.treeSize.get(request.model)
    let best: string | undefined
    let smallest = Number.POSITIVE_INFINITY
    for (const host of candidates) {
      const size = sizes?.get(host.id) ?? 0
      if (size < smallest) {
        smallest = size
        best = host.id
      }
    }
    return best ?? (candidates[Math.floor(this.random() * candidates.length)] as RouterHost).id
  }

  private insert(request: RoutedRequest, worker: string): void {
    let sizes = this.treeSize.get(request.model)
    if (sizes === undefined) {
      sizes = new Map()
      this.treeSize.set(request.model, sizes)
    }
    const at = this.clock++
    for (const block of request.promptBlocks) {
      let tenants = this.tree.get(block)
      if (tenants === undefined) {
        tenants = new Map()
        this.tree.set(block, tenants)
      }
      if (!tenants.has(worker)) sizes.set(worker, (sizes.get(worker) ?? 0) + 1)
      tenants.set(worker, at)
    }
  }
}

/**
 * vLLM production-stack's `prefixaware` routing logic (vllm-project/production-stack
 * `src/vllm_router/routers/routing_logic.py` PrefixAwareRouter, `src/vllm_router/prefix/hashtrie.py`):
 * a hash trie of prompt chunks with the endpoints that were sent each prefix; the longest match among
 * the available endpoints, a uniformly random one of the endpoints at that depth (all available ones
 * when nothing matches), then the prompt is inserted for the chosen endpoint. `prefix_min_match_length`
 * defaults to 0, so the QPS fallback never runs. The trie never evicts (its docstring: "we assume that
 * there is no eviction of prefix cache"). No load signal at all.
 */
export class VllmPrefixAwareRouter implements Router {
  readonly name = 'vllm-prefix-aware'
  private readonly trie = new Map<number, Set<string>>()

  constructor(private readonly random: () => number) {}

  addHost(): void {}
  removeHost(): void {}

  route(request: RoutedRequest, candidates: readonly RouterHost[]): string {
    let selected = new Set(candidates.map((host) => host.id))
    for (const block of request.promptBlocks) {
      const endpoints = this.trie.get(block)
      if (endpoints === undefined) break
      const intersection = new Set([...endpoints].filter((id) => selected.has(id)))
      if (intersection.size === 0) break
      selected = intersection
    }
    const options = [...selected].sort()
    const chosen = options[Math.floor(this.random() * options.length)] as string
    for (const block of request.promptBlocks) {
      let endpoints = this.trie.get(block)
      if (endpoints === undefined) {
        endpoints = new Set()
        this.trie.set(block, endpoints)
      }
      endpoints.add(chosen)
    }
    return chosen
  }

  observe(): void {}
}

/**
 * llm-d's default scheduling profile (llm-d/llm-d-inference-scheduler `pkg/epp/config/loader/
 * defaults.go`): queue-scorer weight 2, kv-cache-utilization-scorer weight 2, prefix-cache-scorer
 * weight 3, max-score picker (random among equal scores). Scorers as in
 * `pkg/epp/framework/plugins/scheduling/scorer/`: queue = (maxQ − q) ÷ (maxQ − minQ) over the
 * candidates' waiting queues (1 when all equal); KV = 1 − KV-cache usage; prefix = matched blocks ÷
 * prompt blocks from the approximate prefix index (`requestcontrol/dataproducer/approximateprefix`:
 * router-side, per server an LRU of 31 250 blocks of 16 tokens, filled from routing decisions; here
 * the same token capacity in 64-token blocks). Metrics are scraped every 50 ms
 * (`pkg/epp/server/options.go` RefreshMetricsInterval).
 */
export class LlmDRouter implements Router {
  readonly name = 'llm-d'
  readonly scrapeIntervalMs = 50
  private readonly metrics = new Map<string, ScrapedMetrics>()
  /** Per server: block id → last use, LRU order. */
  private readonly index = new Map<string, Map<number, number>>()
  private readonly capacityBlocks = Math.round((31_250 * 16) / BLOCK_TOKENS)
  private clock = 0

  constructor(
    private readonly random: () => number,
    private readonly weights = { queue: 2, kv: 2, prefix: 3 },
  ) {}

  addHost(host: RouterHost): void {
    this.index.set(host.id, new Map())
  }
  removeHost(hostId: string): void {
    this.index.delete(hostId)
  }

  scrape(hostId: string, metrics: ScrapedMetrics): void {
    this.metrics.set(hostId, metrics)
  }

  route(request: RoutedRequest, candidates: readonly RouterHost[]): string {
    let minQ = Number.POSITIVE_INFINITY
    let maxQ = Number.NEGATIVE_INFINITY
    for (const host of candidates) {
      const waiting = this.metrics.get(host.id)?.waiting ?? 0
      minQ = Math.min(minQ, waiting)
      maxQ = Math.max(maxQ, waiting)
    }
    const total = request.promptBlocks.length
    let best = Number.NEGATIVE_INFINITY
    let tied: string[] = []
    for (const host of candidates) {
      const scraped = this.metrics.get(host.id)
      const waiting = scraped?.waiting ?? 0
      const queue = maxQ === minQ ? 1 : (maxQ - waiting) / (maxQ - minQ)
      const kv = 1 - (scraped?.kvUsage ?? 0)
      const prefix = total > 0 ? this.matchBlocks(host.id, request.promptBlocks) / total : 0
      const score = this.weights.queue * queue + this.weights.kv * kv + this.weights.prefix * prefix
      if (score > best) {
        best = score
        tied = [host.id]
      } else if (score === best) tied.push(host.id)
    }
    const chosen = tied[Math.floor(this.random() * tied.length)] as string
    this.record(chosen, request.promptBlocks)
    return chosen
  }

  observe(): void {}

  private matchBlocks(hostId: string, blocks: Int32Array): number {
    const lru = this.index.get(hostId)
    if (lru === undefined) return 0
    let count = 0
    while (count < blocks.length && lru.has(blocks[count] as number)) count++
    return count
  }

  private record(hostId: string, blocks: Int32Array): void {
    const lru = this.index.get(hostId)
    if (lru === undefined) return
    for (const block of blocks) {
      lru.delete(block)
      lru.set(block, this.clock++)
    }
    while (lru.size > this.capacityBlocks) lru.delete(lru.keys().next().value as number)
  }
}
