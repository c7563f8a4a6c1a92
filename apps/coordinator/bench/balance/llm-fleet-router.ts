/**
 * THE SEAM between the balancing benchmark and llm-fleet's real coordinator code. Every llm-fleet
 * mode in the benchmark runs through this file and nothing else: a real `NodeRegistry` (leases,
 * metrics ingestion, snapshots) and the real exported `select`, on simulated time.
 *
 *   addHost(host)    registers the host as its agent would: `AgentRegistration` built from the
 *                    agent's report (nvidia-smi board names and VRAM per GPU, the agent's host compute
 *                    score = sum of per-GPU scores, MAX_CONCURRENCY as the operator set it or the
 *                    agent's default 4 — NOT the simulated slot count — and the pulled models).
 *   push(host, …)    one agent metrics push (every DEFAULT_PUSH_INTERVAL_MS): active requests,
 *                    nvidia-smi utilization, loaded models (`/api/ps`).
 *   route(request)   builds the `SelectRequest` — model, apiKind, now, exclude, plus
 *                    `promptTokens` and `prefixBlockHashes` (the prompt's block chain ids, for a
 *                    prefix-aware default) — calls `select`, tells the learner as the forwarder
 *                    does (`onAttempt`), and takes a lease on the chosen node.
 *   observe(outcome) what the proxy sees when a request completes: status, TTFT, end-to-end time,
 *                    token counts and Ollama's timing fields (`load_duration`, `prompt_eval_count`,
 *                    `prompt_eval_duration`, `eval_count`, `eval_duration`, ns). They go to the
 *                    coordinator's own TrafficLearner (what the proxy feeds from Ollama's final
 *                    chunk), then the lease is released. Pushes and departures reach the learner
 *                    through the registry's listeners, as in app.ts.
 *   removeHost(id)   the host drains (the registry stops choosing it).
 *
 * The world's hidden factors (true speeds, batching curves, throttling) never reach this file: it
 * receives only `RouterHost` (the agent's report), pushed samples and outcomes.
 */
import { type AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { TIE_CURSOR } from '../../src/core/balancer/fastest-finish.js'
import { select } from '../../src/core/balancer/select.js'
import type { BalancerMode } from '../../src/core/balancer/strategies.js'
import {
  type BalancerState,
  createBalancerState,
  DEFAULT_BUSY_THRESHOLDS,
  type SelectRequest,
} from '../../src/core/balancer/strategy.js'
import type { NodeView } from '../../src/core/node-view.js'
import { TrafficLearner } from '../../src/learning/traffic-learner.js'
import type { AttemptRequest } from '../../src/proxy/proxy-observer.js'
import { mustWait } from '../../src/proxy/wait-policy.js'
import type { Lease } from '../../src/registry/lease.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'
import type { Outcome, PushedSample, RoutedRequest, Router, RouterHost } from './routers/router.js'
import { modelSpec } from './world/catalog.js'

/** The simulation's epoch as the registry's clock sees it. */
const EPOCH_MS = 1_800_000_000_000
const NO_EXCLUSIONS: ReadonlySet<string> = new Set()

/** The request `select` receives: today's `SelectRequest` plus what a prefix-aware default may read. */
export type BenchSelectRequest = SelectRequest & {
  /** Prompt length in tokens. */
  readonly promptTokens: number
  /** Chain hashes of the prompt's 64-token blocks (equal hash = equal prefix up to that block). */
  readonly prefixBlockHashes: Int32Array
}

export interface LlmFleetRouterOptions {
  readonly mode: BalancerMode
  /** BUSY_GPU_PCT; the coordinator's default otherwise. */
  readonly busyGpuPct?: number | undefined
  readonly pushIntervalMs: number
  readonly random: () => number
  /** Name in tables (default `llm-fleet:<mode>`). */
  readonly name?: string
  /**
   * `fastest-finish` only: where its turn among exactly tied nodes starts (default 0, as in the
   * coordinator). The benchmark's replica of the default starts it at 1; nothing else differs.
   */
  readonly firstTieTurn?: number
  /**
   * QUEUE_WHEN_BUSY: a request whose best node is full is held (`route` returns null) until the engine
   * offers it again after a place frees, as the coordinator's wait queue does.
   */
  readonly queueWhenBusy?: boolean
}

export function registrationFor(host: RouterHost): AgentRegistration {
  const report = host.report
  return AgentRegistration.parse({
    hostname: report.hostname,
    agentVersion: 'bench',
    runtime: { kind: 'ollama', url: `http://${report.hostname}:11434` },
    cpu: { model: 'simulated', cores: report.cpuCores },
    memoryTotalBytes: 256 * 1024 ** 3,
    gpus: Array.from({ length: report.gpuCount }, (_, index) => ({
      index,
      uuid: `GPU-${report.hostname}-${index}`,
      name: report.gpuName,
      vramTotalMiB: report.gpuVramMiB,
      vramUsedMiB: null,
      utilizationPct: null,
      temperatureC: null,
      powerDrawW: null,
      computeCapability: report.computeCapability,
      maxSmClockMHz: null,
      migEnabled: false,
    })),
    driverVersion: '550.54.15',
    cudaVersion: '12.4',
    computeScore: report.computeScore,
    maxConcurrency: report.maxConcurrency,
    models: [...report.models],
    // What Ollama's /api/tags says of each pulled model (the agent carries it): its size on disk.
    modelDetails: report.models.map((name) => ({
      name,
      sizeBytes: Math.round(modelSpec(name).sizeGB * 1e9),
      digest: '',
      modifiedAt: null,
      details: {
        parentModel: '',
        format: 'gguf',
        family: '',
        families: [],
        parameterSize: '',
        quantizationLevel: 'Q4_K_M',
      },
    })),
  })
}

export class LlmFleetRouter implements Router {
  readonly name: string
  private nowMs = 0
  private readonly registry: NodeRegistry
  private readonly state: BalancerState
  private readonly nodeIdByHost = new Map<string, string>()
  private readonly hostByNodeId = new Map<string, string>()
  private readonly leases = new Map<number, Lease>()
  private readonly learner: TrafficLearner
  /** Per routed request: the node's view when it was sent and the requests on it then (itself included). */
  private readonly dispatched = new Map<
    number,
    { readonly node: NodeView; readonly startConcurrency: number; readonly key: object }
  >()
  private readonly pulledByNodeId = new Map<string, readonly string[]>()
  private nodeCount = 0
  private readonly queueWhenBusy: boolean
  /** Requests this router holds (QUEUE_WHEN_BUSY), per model. */
  private readonly held = new Map<string, Set<number>>()

  constructor(options: LlmFleetRouterOptions) {
    this.name = options.name ?? `llm-fleet:${options.mode}`
    this.queueWhenBusy = options.queueWhenBusy === true
    this.registry = new NodeRegistry({
      clock: () => EPOCH_MS + this.nowMs,
      ttlMs: 3 * options.pushIntervalMs,
      maxNodes: 1_000,
      pushIntervalMs: options.pushIntervalMs,
      coolDownMs: 30_000,
      log: { info() {}, warn() {} },
      generateId: () => `node-${this.nodeCount++}`,
    })
    const busy =
      options.busyGpuPct === undefined
        ? DEFAULT_BUSY_THRESHOLDS
        : { ...DEFAULT_BUSY_THRESHOLDS, gpuUtilPct: options.busyGpuPct }
    this.state = createBalancerState(options.random, { mode: options.mode, busy })
    if (options.firstTieTurn !== undefined) {
      if (options.mode !== 'fastest-finish')
        throw new Error(`firstTieTurn is for fastest-finish, not ${options.mode}`)
      this.state.cursors.set(TIE_CURSOR, options.firstTieTurn)
    }
    this.learner = new TrafficLearner({
      knowledge: this.state.knowledge,
      prefixIndex: this.state.prefixIndex,
      clock: () => EPOCH_MS + this.nowMs,
      inFlightOf: (nodeId) => this.registry.inFlightOf(nodeId),
      pushLagMs: options.pushIntervalMs,
    })
    this.registry.onMetrics((pushed) => this.learner.onMetrics(pushed))
    this.registry.onNodeRemoved((removed) => this.learner.onNodeRemoved(removed))
    this.registry.onRegistered((registered) => this.learner.onRegistered(registered))
  }

  addHost(host: RouterHost, nowMs: number): void {
    this.nowMs = nowMs
    const { agentId } = this.registry.register(registrationFor(host))
    this.nodeIdByHost.set(host.id, agentId)
    this.hostByNodeId.set(agentId, host.id)
    this.pulledByNodeId.set(agentId, host.report.models)
  }

  removeHost(hostId: string, nowMs: number): void {
    this.nowMs = nowMs
    const nodeId = this.nodeIdByHost.get(hostId)
    if (nodeId !== undefined) this.registry.drain(nodeId)
  }

  push(hostId: string, sample: PushedSample, nowMs: number): void {
    this.nowMs = nowMs
    const nodeId = this.nodeIdByHost.get(hostId)
    if (nodeId === undefined) return
    const metrics: AgentMetrics = {
      agentId: nodeId,
      cpuUsage: sample.cpuPct,
      memoryUsage: 30,
      activeRequests: sample.activeRequests,
      avgResponseTimeMs: null,
      timestamp: new Date(EPOCH_MS + nowMs).toISOString(),
      gpus: [],
      gpuUsage: sample.gpuUtilPct,
      gpuMemoryUsage: sample.gpuMemoryPct,
      runtime: {
        up: true,
        models: [...(this.pulledByNodeId.get(nodeId) ?? [])],
        loadedModels: [...sample.loadedModels],
      },
    }
    const outcome = this.registry.ingestMetrics(nodeId, metrics)
    if (outcome.kind !== 'ok') throw new Error(`metrics push refused: ${outcome.kind}`)
  }

  route(request: RoutedRequest, candidates: readonly RouterHost[], nowMs: number): string | null {
    this.nowMs = nowMs
    const selectRequest: BenchSelectRequest = {
      model: request.model,
      apiKind: 'openai',
      now: EPOCH_MS + nowMs,
      exclude: NO_EXCLUSIONS,
      promptTokens: request.promptTokens,
      prefixBlockHashes: request.promptBlocks,
      // The blocks are 64-token blocks, the size the coordinator's 256-byte body blocks stand for.
      probe: { promptTokens: request.promptTokens, prefixHashes: request.promptBlocks },
      heldForModel: this.heldBeside(request),
    }
    const selection = select(this.registry.snapshot(), selectRequest, this.state)
    if (selection.kind !== 'selected') {
      throw new Error(
        `${this.name}: no node for ${request.model} (${selection.cause}); candidates ${candidates.length}`,
      )
    }
    if (this.queueWhenBusy && mustWait(selection)) {
      this.heldOf(request.model).add(request.id)
      return null
    }
    this.held.get(request.model)?.delete(request.id)
    const node = selection.node
    // What the forwarder tells the learner as it sends a request; the object is the request's key.
    const key: AttemptRequest = {
      model: request.model,
      apiKind: 'openai',
      route: '/v1/chat/completions',
      probe: selectRequest.probe,
    }
    this.learner.onAttempt(node, selection.reason, 0, key)
    this.dispatched.set(request.id, { node, startConcurrency: node.inFlight + node.runtimeBacklog + 1, key })
    this.leases.set(request.id, this.registry.acquire(selection.node.id))
    const hostId = this.hostByNodeId.get(selection.node.id)
    if (hostId === undefined) throw new Error(`unknown node ${selection.node.id}`)
    return hostId
  }

  /** The other requests for the request's model this router holds, as the forwarder counts them. */
  private heldBeside(request: RoutedRequest): number {
    const held = this.held.get(request.model)
    if (held === undefined) return 0
    return held.size - (held.has(request.id) ? 1 : 0)
  }

  private heldOf(model: string): Set<number> {
    let held = this.held.get(model)
    if (held === undefined) {
      held = new Set()
      this.held.set(model, held)
    }
    return held
  }

  /** The proxy saw the answer's first byte: its prompt is no longer queued for prefill. */
  firstToken(requestId: number, nowMs: number): void {
    this.nowMs = nowMs
    const dispatched = this.dispatched.get(requestId)
    if (dispatched !== undefined) this.learner.releaseAwaiting(dispatched.key)
  }

  /** The feedback seam: the coordinator's learner reads Ollama's fields, then the lease goes. */
  observe(outcome: Outcome, nowMs: number): void {
    this.nowMs = nowMs
    const dispatched = this.dispatched.get(outcome.requestId)
    this.dispatched.delete(outcome.requestId)
    if (dispatched !== undefined) {
      this.learner.releaseAwaiting(dispatched.key)
      const { ollama } = outcome
      const usage = {
        kind: 'ollama',
        totalNs: ollama.total_duration,
        loadNs: ollama.load_duration,
        promptEvalCount: ollama.prompt_eval_count,
        promptEvalNs: ollama.prompt_eval_duration,
        evalCount: ollama.eval_count,
        evalNs: ollama.eval_duration,
      } as const
      const timing = {
        sentAt: 0,
        firstAt: outcome.ttftMs,
        lastAt: outcome.e2eMs,
        chunks: outcome.outputTokens,
      }
      this.learner.observeUsage(
        dispatched.node,
        outcome.model,
        dispatched.startConcurrency,
        usage,
        timing,
        dispatched.key,
      )
    }
    this.leases.get(outcome.requestId)?.release()
    this.leases.delete(outcome.requestId)
  }
}
