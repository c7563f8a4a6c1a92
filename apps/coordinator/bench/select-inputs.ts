/**
 * Deterministic fleets for the `select` benchmark, built so that the right answer is known by
 * construction (planted nodes), which lets a test check the benchmarked path picks correctly. Each
 * fleet exists twice: as the `NodeView`s `select` reads, and as a real `NodeRegistry` brought into the
 * same state through its public API (`registryFor`), whose snapshot equals those views.
 */

import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import type { BalancerState, SelectRequest } from '../src/core/balancer/strategy.js'
import { prefixBlockHashes } from '../src/core/learning/prefix-index.js'
import { ollamaModelKey } from '../src/core/model-name.js'
import type { NodeView } from '../src/core/node-view.js'
import { ModelSets } from '../src/registry/model-sets.js'
import { NodeRegistry } from '../src/registry/node-registry.js'

export const BENCH_NOW = 1_800_000_000_000
export const BENCH_MODEL = 'llama3.1:8b'

/** GPU classes with realistic compute scores and slot counts. */
const CLASSES = [
  { name: 'h100', score: 1800, maxConcurrency: 8 },
  { name: 'a100', score: 1200, maxConcurrency: 6 },
  { name: 'l40s', score: 900, maxConcurrency: 4 },
  { name: 'rtx4090', score: 700, maxConcurrency: 4 },
  { name: 't4', score: 150, maxConcurrency: 2 },
] as const
const TOP_CLASS = CLASSES[0]
const BOTTOM_CLASS = CLASSES[4]
const OTHER_MODELS = ['qwen2.5:32b', 'mistral:7b', 'phi3:mini']

/** mulberry32: a tiny seeded PRNG, enough for reproducible inputs. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export interface BenchFleet {
  readonly nodes: readonly NodeView[]
  readonly request: SelectRequest
  /** `spec` must rotate over exactly these: the top-class nodes generated free and eligible. */
  readonly topFreeIds: ReadonlySet<string>
  /** `metrics` must pick this node: the only one with an all-zero load score. */
  readonly metricsWinnerId: string
  /** `round-robin`'s first pick: the first node, planted eligible. */
  readonly firstId: string
  /** The prompt blocks an earlier turn left cached (`cachePrefix` records them on some nodes). */
  readonly cachedHashes: Int32Array
}

/**
 * The request's body: a conversation of 8 KiB (about 2 000 prompt tokens, 32 prefix blocks), whose
 * first 6 KiB were the previous turn. A decision then looks the prefix up and prices each candidate's
 * prefill, as a chat request does.
 */
const PROMPT = Buffer.from(`{"model":"${BENCH_MODEL}","messages":[`.padEnd(8 * 1024, 'a'))
const PREVIOUS_TURN = PROMPT.subarray(0, 6 * 1024)

/** Records the previous turn's prefix on every 50th node of `nodes` (the slots a real index would hold). */
export function cachePrefix(state: BalancerState, fleet: BenchFleet, nodes: readonly NodeView[]): void {
  for (let i = 0; i < nodes.length; i += 50)
    state.prefixIndex.record(fleet.cachedHashes, (nodes[i] as NodeView).slot, BENCH_NOW)
}

/**
 * `count` nodes (at least 2): mixed GPU classes; about 4 % stale, 1 % draining, 2 % cooling down,
 * 5 % without metrics yet, 20 % not serving the benchmark model, 30 % busy (in-flight at capacity).
 * Free nodes run at most 70 % CPU and 85 % GPU, under the busy thresholds.
 */
export function generateFleet(count: number, seed = 42): BenchFleet {
  const random = seeded(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const nodes: NodeView[] = []
  const topFreeIds = new Set<string>()
  // Shared per distinct list, as the registry hands them out.
  const modelSets = new ModelSets()
  const ollamaKeySets = new ModelSets()
  for (let i = 0; i < count; i++) {
    const id = `node-${i}`
    const planted = i < 2
    const gpuClass = i === 0 ? TOP_CLASS : i === 1 ? BOTTOM_CLASS : pick(CLASSES)
    const roll = random()
    const state = planted ? 'online' : roll < 0.04 ? 'stale' : roll < 0.05 ? 'draining' : 'online'
    const isCooling = !planted && random() < 0.02
    const servesModel = planted || random() < 0.8
    // A stale node has not pushed within the TTL, so its metrics cannot be fresh either.
    const hasFreshMetrics = (planted || random() >= 0.05) && state !== 'stale'
    const isBusy = !planted && random() < 0.3
    const modelList = servesModel ? [BENCH_MODEL, pick(OTHER_MODELS)] : [pick(OTHER_MODELS)]
    const models = modelSets.intern(modelList)
    const isZeroLoad = i === 1
    const load = isBusy
      ? gpuClass.maxConcurrency
      : isZeroLoad
        ? 0
        : Math.floor(random() * gpuClass.maxConcurrency)
    const runtimeKind = random() < 0.7 ? 'ollama' : 'openai'
    nodes.push({
      id,
      name: `${gpuClass.name}-${i}`,
      runtimeKind,
      computeScore: gpuClass.score,
      gpuScore: gpuClass.score,
      gpuCount: 1,
      gpuVramBytes: 0,
      capacityShare: 1,
      slot: i,
      // The registry removes a draining node once nothing is in flight: a draining node still has work.
      inFlight: state === 'draining' ? Math.max(1, load) : load,
      runtimeBacklog: 0,
      othersAwaitingTokens: 0,
      maxConcurrency: gpuClass.maxConcurrency,
      state,
      hasFreshMetrics,
      cpuPct: !hasFreshMetrics ? null : isZeroLoad ? 0 : 5 + random() * 65,
      memoryPct: !hasFreshMetrics ? null : isZeroLoad ? 0 : 10 + random() * 80,
      gpuUtilPct: !hasFreshMetrics ? null : isZeroLoad ? 0 : 10 + random() * 75,
      gpuMemoryPct: !hasFreshMetrics ? null : isZeroLoad ? 0 : 10 + random() * 80,
      models,
      modelKeys: runtimeKind === 'ollama' ? ollamaKeySets.intern(modelList.map(ollamaModelKey)) : models,
      coolingDownUntilMs: isCooling ? BENCH_NOW + 10_000 : null,
    })
    if (gpuClass === TOP_CLASS && state === 'online' && !isCooling && servesModel && !isBusy)
      topFreeIds.add(id)
  }
  return {
    nodes,
    request: {
      model: BENCH_MODEL,
      // As the forwarder passes it: normalised once per request.
      ollamaModelKey: ollamaModelKey(BENCH_MODEL),
      apiKind: 'openai',
      now: BENCH_NOW,
      exclude: new Set(),
      probe: { promptTokens: PROMPT.length / 4, prefixHashes: prefixBlockHashes(PROMPT) },
    },
    cachedHashes: prefixBlockHashes(PREVIOUS_TURN),
    topFreeIds,
    metricsWinnerId: 'node-1',
    firstId: 'node-0',
  }
}

/** The registry settings `registryFor` uses: a cooling node's cool-down ends `BENCH_COOL_DOWN_MS` after now. */
export const BENCH_TTL_MS = 15_000
export const BENCH_COOL_DOWN_MS = 10_000

/**
 * A real `NodeRegistry` holding `fleet` (from `generateFleet`), built only through its public API:
 * register (stale nodes a TTL ago), push metrics, take the in-flight leases (kept, never released),
 * fail upstream into a cool-down, drain. Its clock stays at `BENCH_NOW` afterwards, and its
 * `snapshot()` equals `fleet.nodes` (select-inputs.test.ts checks it).
 */
export function registryFor(fleet: BenchFleet): NodeRegistry {
  let now = BENCH_NOW
  let nextId = 0
  const ids = fleet.nodes.map((node) => node.id)
  const registry = new NodeRegistry({
    clock: () => now,
    ttlMs: BENCH_TTL_MS,
    maxNodes: fleet.nodes.length,
    pushIntervalMs: 5_000,
    coolDownMs: BENCH_COOL_DOWN_MS,
    log: { info: () => undefined, warn: () => undefined },
    generateId: () => ids[nextId++] as string,
  })
  fleet.nodes.forEach((node, index) => {
    now = node.state === 'stale' ? BENCH_NOW - BENCH_TTL_MS - 1 : BENCH_NOW
    registry.register(benchRegistration(node, index))
    if (node.hasFreshMetrics) registry.ingestMetrics(node.id, benchMetrics(node))
    now = BENCH_NOW
    for (let lease = 0; lease < node.inFlight; lease++) registry.acquire(node.id)
    if (node.coolingDownUntilMs !== null)
      while (!registry.reportUpstreamFailure(node.id)) {
        // Fails until the streak starts the cool-down.
      }
    if (node.state === 'draining') registry.drain(node.id)
  })
  return registry
}

function benchRegistration(node: NodeView, index: number): AgentRegistration {
  return {
    hostname: node.name,
    agentVersion: '0.1.0',
    runtime: {
      kind: node.runtimeKind,
      url: `http://10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}:11434`,
    },
    cpu: { model: 'AMD EPYC 7763 64-Core Processor', cores: 64 },
    memoryTotalBytes: 256 * 1024 ** 3,
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    computeScore: node.computeScore,
    maxConcurrency: node.maxConcurrency,
    models: [...node.models],
  }
}

function benchMetrics(node: NodeView): AgentMetrics {
  return {
    agentId: node.id,
    cpuUsage: node.cpuPct ?? 0,
    memoryUsage: node.memoryPct ?? 0,
    // What the runtime runs is exactly what the coordinator sent it: no backlog.
    activeRequests: node.inFlight,
    avgResponseTimeMs: null,
    timestamp: new Date(BENCH_NOW).toISOString(),
    gpus: [],
    gpuUsage: node.gpuUtilPct,
    gpuMemoryUsage: node.gpuMemoryPct,
    runtime: { up: true, models: [...node.models], loadedModels: [] },
  }
}
