/**
 * NodeRegistry: every node the coordinator knows, as soft state in memory. Agents re-register after a
 * coordinator restart, so nothing is persisted. It owns the exact in-flight counts (through leases),
 * the upstream failure streaks and cool-downs, and hands the balancer cheap `NodeView` snapshots.
 */
import { randomBytes } from 'node:crypto'
import type {
  AgentMetrics,
  AgentRegistration,
  FleetNode,
  NodeState,
  PublicRegistration,
} from '@llm-fleet/types'
import { ollamaModelKey } from '../core/model-name.js'
import { nodeStateAt, staleAtMs } from '../core/node-state.js'
import type { NodeView } from '../core/node-view.js'
import { AgentNotFoundError, RegistryFullError } from '../errors.js'
import { createLease, type Lease } from './lease.js'
import { MetricsLabels } from './metrics-labels.js'
import { ModelHealth } from './model-health.js'
import { ModelSets } from './model-sets.js'
import type { SharedLoad } from './shared-load.js'

/** The slice of a pino logger the registry uses (fastify's `log.child(...)` satisfies it). */
export interface RegistryLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface NodeRegistryOptions {
  /** Milliseconds since the epoch; injected so tests move time without sleeping. */
  readonly clock: () => number
  /** A node with no contact for longer than this is `stale` (`AGENT_TTL_MS`). */
  readonly ttlMs: number
  /** Most nodes held at once (`MAX_NODES`). */
  readonly maxNodes: number
  /** What agents are told to push at (`PUSH_INTERVAL_MS`). */
  readonly pushIntervalMs: number
  /** How long a node is skipped after `coolDownFailures` upstream failures in a row (`COOL_DOWN_MS`). */
  readonly coolDownMs: number
  /** Consecutive upstream failures that start a cool-down. Default 3. */
  readonly coolDownFailures?: number
  readonly log: RegistryLog
  /** New agent ids; default 12 random url-safe characters. */
  readonly generateId?: () => string
  /**
   * Load shared with other coordinators (`SHARED_STATE_URL`): views then count their in-flight requests
   * too, and their cool-downs. Without it the registry counts alone, exactly as a single coordinator.
   */
  readonly sharedLoad?: SharedLoad
  /**
   * A node stale this long with nothing in flight is removed by `sweep()` (the coordinator passes
   * `STALE_NODE_FORGET_TTLS` × TTL): its pool, metric series and cursors go with it. Default: never
   * (only when the registry is full).
   */
  readonly forgetStaleAfterMs?: number
  /** Runs `fn` after `ms` (cool-down ends); default an unref'd `setTimeout`. */
  readonly setTimer?: (fn: () => void, ms: number) => void
}

export interface RegisterResult {
  readonly agentId: string
  /** False when the same hostname and runtime URL registered before (the id is reused). */
  readonly created: boolean
}

/** What happened to a metrics push; the agent API maps each kind to a status. */
export type IngestResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'unknown-agent' }
  | { readonly kind: 'id-mismatch' }

/** Passed to `onNodeRemoved` listeners (the proxy closes the node's connection pool). */
export interface RemovedNode {
  readonly id: string
  readonly runtimeUrl: string
  /** The slot it held (`NodeView.slot`); the next node may reuse it. */
  readonly slot: number
}

/** Passed to `onMetrics` listeners after a push is stored (the balancer learns what is loaded). */
export interface IngestedMetrics {
  readonly id: string
  readonly slot: number
  readonly metrics: AgentMetrics
  /** When the coordinator stored it (its clock). */
  readonly atMs: number
}

/** Passed to `onRegistered` listeners: the node as it registered (API key already taken out). */
export interface RegisteredNode {
  readonly id: string
  readonly slot: number
  readonly registration: AgentRegistration
}

export const DEFAULT_COOL_DOWN_FAILURES = 3

const EMPTY_SET: ReadonlySet<string> = new Set()

/**
 * A node stale for this many TTLs with nothing in flight is forgotten (10 minutes at the default 6 s
 * TTL): long enough for a host to reboot and come back under its id, short enough that churn leaves
 * nothing behind.
 */
export const STALE_NODE_FORGET_TTLS = 100

interface NodeRecord {
  readonly id: string
  readonly key: string
  /** The `node` label of its metrics series (see `NodeRegistry.metricsLabel`). */
  readonly metricsLabel: string
  /** Dense index among the held nodes (`NodeView.slot`). */
  readonly slot: number
  /** Without the runtime's API key: this is what `GET /api/agents` and the dashboard show. */
  registration: PublicRegistration
  /** `Bearer <runtime.apiKey>` to send upstream, kept apart from everything shown; null without a key. */
  upstreamAuthorization: string | null
  metrics: AgentMetrics | null
  models: ReadonlySet<string>
  /** `models` as the runtime matches them (see `NodeView.modelKeys`). */
  modelKeys: ReadonlySet<string>
  readonly registeredAtMs: number
  lastSeenMs: number
  lastMetricsMs: number | null
  inFlight: number
  /** Prompt tokens this coordinator sent there that the node has not started (published to peers). */
  awaitingTokens: number
  isDraining: boolean
  failureStreak: number
  coolingDownUntilMs: number | null
  /** The cached view; null after any change to the record. */
  view: NodeView | null
  /** When the cached view's time-dependent fields (state, freshness) change next. */
  viewValidUntilMs: number
  /** Where the view sits in the latest full snapshot (its position in registration order). */
  snapshotIndex: number
  /** Waiting in `#changedRecords` for the next snapshot to replace its view. */
  isQueued: boolean
}

export class NodeRegistry {
  readonly #options: NodeRegistryOptions
  readonly #coolDownFailures: number
  readonly #generateId: () => string
  readonly #records = new Map<string, NodeRecord>()
  /** `hostname \n runtime.url` → id: a re-registering node keeps its id. */
  readonly #idsByKey = new Map<string, string>()
  readonly #metricsLabels = new MetricsLabels()
  readonly #removedListeners = new Set<(node: RemovedNode) => void>()
  readonly #capacityListeners = new Set<() => void>()
  readonly #modelHealth: ModelHealth
  readonly #setTimer: (fn: () => void, ms: number) => void
  readonly #metricsListeners = new Set<(pushed: IngestedMetrics) => void>()
  readonly #registeredListeners = new Set<(registered: RegisteredNode) => void>()
  /** Slots of removed nodes, reused before new ones so the slot range stays as small as the fleet. */
  readonly #freeSlots: number[] = []
  #nextSlot = 0
  /** Nodes serving the same models share one Set: `select` checks each distinct Set once per call. */
  readonly #modelSets = new ModelSets()
  readonly #loadListeners = new Set<() => void>()
  readonly #shared: SharedLoad | undefined
  /** Ollama nodes' normal forms, in a table of their own: a Set is never shared by two kinds of node. */
  readonly #ollamaKeySets = new ModelSets()
  /** The latest snapshot; null when the next one must be built from every record. */
  #snapshot: readonly NodeView[] | null = null
  #snapshotValidUntilMs = 0
  /**
   * Records changed since `#snapshot` was built. A lease changes one node, so the next snapshot copies
   * the array and replaces just their views instead of rebuilding all of them (the rebuild cost more
   * than the balancing decision at 1 000 nodes).
   */
  readonly #changedRecords: NodeRecord[] = []
  /** When a node registered for the first time (readiness waits for registrations to settle). */
  #lastNewRegistrationMs: number | null = null

  constructor(options: NodeRegistryOptions) {
    this.#options = options
    this.#coolDownFailures = options.coolDownFailures ?? DEFAULT_COOL_DOWN_FAILURES
    this.#generateId = options.generateId ?? (() => randomBytes(9).toString('base64url'))
    this.#modelHealth = new ModelHealth({ failures: this.#coolDownFailures, coolDownMs: options.coolDownMs })
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref())
    this.#shared = options.sharedLoad
    this.#shared?.onRemoteChange((nodeKeys) => this.#remoteChanged(nodeKeys))
  }

  /** When a node last registered for the first time; null before any. */
  get lastNewRegistrationMs(): number | null {
    return this.#lastNewRegistrationMs
  }

  /** The keys (`hostname \n runtime URL`, the same on every coordinator) of the nodes online now. */
  onlineKeys(): Set<string> {
    const keys = new Set<string>()
    const now = this.#options.clock()
    for (const record of this.#records.values()) {
      if (this.#viewOf(record, now).state === 'online') keys.add(record.key)
    }
    return keys
  }

  /**
   * Calls `listener` when other coordinators' load changed (a slot freed elsewhere may let a waiting
   * request go). Returns a function that unsubscribes it.
   */
  onSharedLoadChange(listener: () => void): () => void {
    this.#loadListeners.add(listener)
    return () => {
      this.#loadListeners.delete(listener)
    }
  }

  /** Nodes held, in every state. */
  get size(): number {
    return this.#records.size
  }

  /**
   * Adds a node, or replaces the static info of the node with the same hostname and runtime URL
   * (keeping its id, in-flight count and metrics, and cancelling a drain: the agent is back).
   * @throws RegistryFullError when `maxNodes` are held and no stale idle node can make room.
   */
  register(received: AgentRegistration): RegisterResult {
    const { registration, upstreamAuthorization } = withoutApiKey(received)
    const now = this.#options.clock()
    const key = `${registration.hostname}\n${registration.runtime.url}`
    const existingId = this.#idsByKey.get(key)
    const existing = existingId === undefined ? undefined : this.#records.get(existingId)
    if (existing !== undefined) {
      existing.registration = registration
      existing.upstreamAuthorization = upstreamAuthorization
      this.#setModels(existing, registration.models)
      existing.lastSeenMs = now
      existing.isDraining = false
      this.#changed(existing)
      this.#options.log.info({ nodeId: existing.id, name: registration.hostname }, 'node re-registered')
      this.#emitRegistered(existing)
      this.#capacityMayHaveGrown()
      return { agentId: existing.id, created: false }
    }

    if (this.#records.size >= this.#options.maxNodes && !this.#evictOneStale(now)) {
      throw new RegistryFullError(this.#options.maxNodes)
    }
    const namesake = this.#metricsLabels.namesakeOf(registration.hostname)
    const { id, metricsLabel } = this.#newIdentity(registration.hostname)
    const record: NodeRecord = {
      id,
      key,
      metricsLabel,
      slot: this.#freeSlots.pop() ?? this.#nextSlot++,
      registration,
      upstreamAuthorization,
      metrics: null,
      models: EMPTY_SET,
      modelKeys: EMPTY_SET,
      registeredAtMs: now,
      lastSeenMs: now,
      lastMetricsMs: null,
      inFlight: 0,
      awaitingTokens: 0,
      isDraining: false,
      failureStreak: 0,
      coolingDownUntilMs: null,
      view: null,
      viewValidUntilMs: 0,
      snapshotIndex: -1,
      isQueued: false,
    }
    this.#setModels(record, registration.models)
    this.#records.set(id, record)
    this.#idsByKey.set(key, id)
    this.#metricsLabels.hold(registration.hostname, id, metricsLabel)
    this.#snapshot = null
    this.#lastNewRegistrationMs = now
    this.#options.log.info(
      {
        nodeId: id,
        name: registration.hostname,
        runtime: registration.runtime.url,
        computeScore: registration.computeScore,
      },
      'node registered',
    )
    const other = namesake === undefined ? undefined : this.#records.get(namesake)
    if (other !== undefined) this.#warnNameShared(record, other)
    this.#emitRegistered(record)
    this.#capacityMayHaveGrown()
    return { agentId: id, created: true }
  }

  /** A new node's id and its metrics label (see `MetricsLabels`). */
  #newIdentity(name: string): { id: string; metricsLabel: string } {
    for (;;) {
      const id = this.#generateId()
      const metricsLabel = this.#records.has(id) ? null : this.#metricsLabels.labelFor(name, id)
      if (metricsLabel !== null) return { id, metricsLabel }
    }
  }

  /** Once per node, at its first registration: the operator can tell the two apart only by their ids. */
  #warnNameShared(record: NodeRecord, namesake: NodeRecord): void {
    this.#options.log.warn(
      {
        name: record.registration.hostname,
        nodeId: record.id,
        runtime: record.registration.runtime.url,
        metricsLabel: record.metricsLabel,
        otherNodeId: namesake.id,
        otherRuntime: namesake.registration.runtime.url,
      },
      `node ${record.id} (${record.registration.runtime.url}) has the name of node ${namesake.id} (${namesake.registration.runtime.url}): its metrics are labelled node="${record.metricsLabel}"; set NODE_NAME on one of the two agents`,
    )
  }

  /**
   * The node's `node` label in the metrics: its name, or `name@id` when another held node had that
   * name (or label) as it first registered. Unique among the held nodes and fixed for the node's life;
   * undefined once the node is gone.
   */
  metricsLabel(nodeId: string): string | undefined {
    return this.#records.get(nodeId)?.metricsLabel
  }

  /**
   * Stores a metrics push. The body's `agentId` must equal the path's id. The push also refreshes the
   * node's model list and brings a stale node back online.
   */
  ingestMetrics(id: string, metrics: AgentMetrics): IngestResult {
    if (metrics.agentId !== id) return { kind: 'id-mismatch' }
    const record = this.#records.get(id)
    if (record === undefined) return { kind: 'unknown-agent' }
    const now = this.#options.clock()
    if (!sameModels(record.models, metrics.runtime.models)) this.#setModels(record, metrics.runtime.models)
    record.metrics = metrics
    record.lastSeenMs = now
    record.lastMetricsMs = now
    this.#changed(record)
    // The push may have cleared a backlog or a busy GPU, or brought a stale node back.
    this.#capacityMayHaveGrown()
    for (const listener of this.#metricsListeners) listener({ id, slot: record.slot, metrics, atMs: now })
    return { kind: 'ok' }
  }

  /**
   * Stops new requests to a node; it is removed once its in-flight requests finish (at once when it
   * has none). Returns false for an unknown id.
   */
  drain(id: string): boolean {
    const record = this.#records.get(id)
    if (record === undefined) return false
    record.isDraining = true
    this.#changed(record)
    if (record.inFlight === 0) this.#remove(record, 'drained')
    else this.#options.log.info({ nodeId: id, inFlight: record.inFlight }, 'node draining')
    return true
  }

  /**
   * Takes an in-flight slot on a node for one proxied request. Release it on every path (success,
   * error, client abort); releasing twice is harmless.
   * @throws AgentNotFoundError when the node is not (or no longer) registered.
   */
  acquire(nodeId: string): Lease {
    const record = this.#records.get(nodeId)
    if (record === undefined) throw new AgentNotFoundError(nodeId)
    record.inFlight++
    this.#changed(record)
    this.#publish(record)
    return createLease(nodeId, () => {
      record.inFlight--
      this.#publish(record)
      // The record may have been removed meanwhile; then there is nothing left to update.
      if (this.#records.get(nodeId) !== record) return
      this.#changed(record)
      if (record.isDraining && record.inFlight === 0) this.#remove(record, 'drained')
    })
  }

  /**
   * This coordinator's prompt tokens sent to the node and not started there (the default balancer's
   * learner counts them), shared with the other coordinators: each then sees the whole queue.
   */
  setAwaitingTokens(nodeId: string, tokens: number): void {
    // Without a store there is nobody to tell: no lookup on the request's path.
    if (this.#shared === undefined) return
    const record = this.#records.get(nodeId)
    if (record === undefined || record.awaitingTokens === tokens) return
    record.awaitingTokens = tokens
    this.#publish(record)
  }

  #publish(record: NodeRecord): void {
    this.#shared?.publishLocal({
      key: record.key,
      inFlight: record.inFlight,
      coolingDownUntilMs: record.coolingDownUntilMs,
      awaitingTokens: record.awaitingTokens,
    })
  }

  /**
   * Counts a failed upstream attempt (refused connection, 5xx before the first byte, first-byte
   * timeout). Returns true exactly when this failure starts a cool-down, so the caller logs it once.
   */
  reportUpstreamFailure(nodeId: string): boolean {
    const record = this.#records.get(nodeId)
    if (record === undefined) return false
    const now = this.#options.clock()
    if (record.coolingDownUntilMs !== null && record.coolingDownUntilMs > now) return false
    record.failureStreak++
    if (record.failureStreak < this.#coolDownFailures) return false
    record.failureStreak = 0
    record.coolingDownUntilMs = now + this.#options.coolDownMs
    this.#changed(record)
    this.#publish(record)
    this.#wakeAfterCoolDown()
    return true
  }

  /**
   * Counts a failure of the runtime for one model (a 500, an error inside a stream) that the request
   * itself did not cause. Returns true exactly when it starts a cool-down of the node for that model.
   */
  reportModelFailure(nodeId: string, model: string): boolean {
    if (!this.#records.has(nodeId)) return false
    const key = ollamaModelKey(model)
    if (this.#modelHealth.reportFailure(nodeId, key, this.#options.clock()) === null) return false
    this.#wakeAfterCoolDown()
    return true
  }

  /** A successful upstream response ends the node's failure streak (and the model's, given one). */
  reportUpstreamSuccess(nodeId: string, model?: string): void {
    const record = this.#records.get(nodeId)
    if (record === undefined) return
    record.failureStreak = 0
    if (model !== undefined) this.#modelHealth.reportSuccess(nodeId, ollamaModelKey(model))
  }

  /**
   * Nodes cooling down for `model` alone; null when none. Model health is counted under Ollama's
   * normal form, so another spelling of a cooled model (a case change, `:latest`) meets the same count.
   */
  coolingForModel(model: string): ReadonlySet<string> | null {
    return this.#modelHealth.coolingNodes(ollamaModelKey(model), this.#options.clock())
  }

  /**
   * The node answered 404 for a model its list names: its list went stale. The node stops being
   * offered for the model until its next push or registration says otherwise.
   */
  markModelMissing(nodeId: string, model: string): void {
    const record = this.#records.get(nodeId)
    if (record === undefined) return
    // An Ollama node matches names as Ollama does: drop every listed spelling of the model.
    const isOllama = record.registration.runtime.kind === 'ollama'
    const key = isOllama ? ollamaModelKey(model) : model
    if (!record.modelKeys.has(key)) return
    const kept = [...record.models].filter((name) => (isOllama ? ollamaModelKey(name) : name) !== key)
    this.#setModels(record, kept)
    this.#changed(record)
    this.#options.log.warn({ nodeId, model }, 'node does not serve a model its list names')
  }

  /**
   * Calls `listener` whenever a slot may have become usable without a request ending: a node
   * registered or pushed, or a cool-down ended. Returns a function that unsubscribes it.
   */
  onCapacity(listener: () => void): () => void {
    this.#capacityListeners.add(listener)
    return () => {
      this.#capacityListeners.delete(listener)
    }
  }

  /**
   * Removes nodes stale for longer than `forgetStaleAfterMs` with nothing in flight: a host that
   * vanished leaves nothing behind. Returns how many went.
   */
  sweep(): number {
    const forgetAfterMs = this.#options.forgetStaleAfterMs
    if (forgetAfterMs === undefined) return 0
    const now = this.#options.clock()
    let removed = 0
    for (const record of [...this.#records.values()]) {
      if (record.inFlight > 0 || now - record.lastSeenMs <= this.#options.ttlMs + forgetAfterMs) continue
      this.#remove(record, 'forgotten: stale too long')
      removed++
    }
    return removed
  }

  /** Per-model health entries held: 0 once every node that failed is gone (for leak checks). */
  get modelHealthEntries(): number {
    return this.#modelHealth.size
  }

  /**
   * The balancer's input: one read-only view per node, in registration order. Cached until a node
   * changes or the earliest node crosses its TTL, so calling it per request is cheap; views of
   * unchanged nodes are reused, and after a change to a few nodes (a lease) only theirs are rebuilt.
   * The array is never mutated after it is returned: a change yields a new array.
   */
  snapshot(): readonly NodeView[] {
    const now = this.#options.clock()
    const cached = this.#snapshot
    if (cached === null || now >= this.#snapshotValidUntilMs) return this.#rebuiltSnapshot(now)
    return this.#changedRecords.length === 0 ? cached : this.#patchedSnapshot(cached, now)
  }

  #rebuiltSnapshot(now: number): readonly NodeView[] {
    this.#dequeueChanged()
    const views: NodeView[] = []
    let validUntilMs = Number.POSITIVE_INFINITY
    for (const record of this.#records.values()) {
      record.snapshotIndex = views.length
      views.push(this.#viewOf(record, now))
      if (record.viewValidUntilMs < validUntilMs) validUntilMs = record.viewValidUntilMs
    }
    this.#snapshot = views
    this.#snapshotValidUntilMs = validUntilMs
    return views
  }

  /**
   * The cached snapshot with the changed records' views replaced, in a copy: a snapshot handed out is
   * never mutated. Every other view is the record's cached one, still valid before the snapshot's
   * expiry, so the result equals a full rebuild.
   */
  #patchedSnapshot(cached: readonly NodeView[], now: number): readonly NodeView[] {
    const views = cached.slice()
    let validUntilMs = this.#snapshotValidUntilMs
    const changed = this.#changedRecords
    for (let i = 0; i < changed.length; i++) {
      const record = changed[i] as NodeRecord
      record.isQueued = false
      views[record.snapshotIndex] = this.#viewOf(record, now)
      if (record.viewValidUntilMs < validUntilMs) validUntilMs = record.viewValidUntilMs
    }
    changed.length = 0
    this.#snapshot = views
    this.#snapshotValidUntilMs = validUntilMs
    return views
  }

  #dequeueChanged(): void {
    const changed = this.#changedRecords
    for (let i = 0; i < changed.length; i++) (changed[i] as NodeRecord).isQueued = false
    changed.length = 0
  }

  /**
   * The `Authorization` value for requests to the node's runtime (the agent's `RUNTIME_API_KEY`), or
   * undefined when it has none or is gone. The only way the key leaves the registry.
   */
  upstreamAuthorization(nodeId: string): string | undefined {
    return this.#records.get(nodeId)?.upstreamAuthorization ?? undefined
  }

  /** Every node as `GET /api/agents` reports it. */
  list(): FleetNode[] {
    const now = this.#options.clock()
    const nodes: FleetNode[] = []
    for (const record of this.#records.values()) nodes.push(this.#toFleetNode(record, now))
    return nodes
  }

  get(id: string): FleetNode | undefined {
    const record = this.#records.get(id)
    return record === undefined ? undefined : this.#toFleetNode(record, this.#options.clock())
  }

  /** Nodes per state now (for `/readyz` and metrics). */
  countByState(): Record<NodeState, number> {
    const counts: Record<NodeState, number> = { online: 0, stale: 0, draining: 0 }
    for (const view of this.snapshot()) counts[view.state]++
    return counts
  }

  /** Calls `listener` after a node is removed. Returns a function that unsubscribes it. */
  onNodeRemoved(listener: (node: RemovedNode) => void): () => void {
    this.#removedListeners.add(listener)
    return () => {
      this.#removedListeners.delete(listener)
    }
  }

  #setModels(record: NodeRecord, models: readonly string[]): void {
    record.models = this.#modelSets.intern(models)
    record.modelKeys =
      record.registration.runtime.kind === 'ollama'
        ? this.#ollamaKeySets.intern(models.map(ollamaModelKey))
        : record.models
  }

  #capacityMayHaveGrown(): void {
    for (const listener of this.#capacityListeners) listener()
  }

  /** A cool-down ending frees capacity that no request or push would announce. */
  #wakeAfterCoolDown(): void {
    if (this.#capacityListeners.size === 0) return
    this.#setTimer(() => {
      this.#snapshot = null
      this.#capacityMayHaveGrown()
      // +1: the balancer compares `until > now`, so the end itself is still cooling.
    }, this.#options.coolDownMs + 1)
  }

  /** Requests the coordinator is proxying to the node now; 0 for an unknown node. */
  inFlightOf(nodeId: string): number {
    return this.#records.get(nodeId)?.inFlight ?? 0
  }

  /** Calls `listener` after each registration, a node's first and its re-registrations. */
  onRegistered(listener: (registered: RegisteredNode) => void): () => void {
    this.#registeredListeners.add(listener)
    return () => {
      this.#registeredListeners.delete(listener)
    }
  }

  #emitRegistered(record: NodeRecord): void {
    const registered = { id: record.id, slot: record.slot, registration: record.registration }
    for (const listener of this.#registeredListeners) listener(registered)
  }

  /** Calls `listener` after each stored metrics push. Returns a function that unsubscribes it. */
  onMetrics(listener: (pushed: IngestedMetrics) => void): () => void {
    this.#metricsListeners.add(listener)
    return () => {
      this.#metricsListeners.delete(listener)
    }
  }

  #changed(record: NodeRecord): void {
    record.view = null
    // Without a snapshot the next one is built from every record anyway.
    if (this.#snapshot === null || record.isQueued) return
    record.isQueued = true
    this.#changedRecords.push(record)
  }

  #remoteChanged(nodeKeys: Iterable<string> | 'all'): void {
    if (nodeKeys === 'all') {
      for (const record of this.#records.values()) record.view = null
      this.#snapshot = null
    } else {
      for (const key of nodeKeys) {
        const id = this.#idsByKey.get(key)
        const record = id === undefined ? undefined : this.#records.get(id)
        if (record !== undefined) this.#changed(record)
      }
    }
    for (const listener of this.#loadListeners) listener()
  }

  #viewOf(record: NodeRecord, now: number): NodeView {
    if (record.view !== null && now < record.viewValidUntilMs) return record.view
    const { ttlMs } = this.#options
    const state = nodeStateAt({ now, lastSeenMs: record.lastSeenMs, ttlMs, isDraining: record.isDraining })
    const hasFreshMetrics = record.lastMetricsMs !== null && now - record.lastMetricsMs <= ttlMs
    let validUntilMs = Number.POSITIVE_INFINITY
    if (state === 'online') validUntilMs = staleAtMs(record.lastSeenMs, ttlMs)
    if (hasFreshMetrics && record.lastMetricsMs !== null) {
      validUntilMs = Math.min(validUntilMs, staleAtMs(record.lastMetricsMs, ttlMs))
    }
    const metrics = record.metrics
    const shared = this.#shared
    // Other coordinators' requests count as this one's: the node serves them all.
    const maxConcurrency = record.registration.maxConcurrency
    const inFlight = shared === undefined ? record.inFlight : sharedInFlight(record, shared, maxConcurrency)
    const view: NodeView = {
      id: record.id,
      name: record.registration.hostname,
      runtimeKind: record.registration.runtime.kind,
      computeScore: record.registration.computeScore,
      gpuScore: record.registration.computeScore / Math.max(1, record.registration.gpus.length),
      gpuCount: Math.max(1, record.registration.gpus.length),
      gpuVramBytes: smallestVramBytes(record.registration.gpus),
      capacityShare: shared === undefined || shared.capacityDivisor === 1 ? 1 : 1 / shared.capacityDivisor,
      slot: record.slot,
      inFlight,
      othersAwaitingTokens: shared === undefined ? 0 : shared.othersAwaitingTokens(record.key),
      // An old sample's backlog has long drained or grown: only fresh metrics count.
      runtimeBacklog:
        metrics === null || !hasFreshMetrics ? 0 : Math.max(0, metrics.activeRequests - inFlight),
      // Store unreachable: a 1/N share each, so N coordinators that cannot see each other stay within it.
      maxConcurrency:
        shared === undefined || shared.capacityDivisor === 1
          ? maxConcurrency
          : Math.max(1, Math.floor(maxConcurrency / shared.capacityDivisor)),
      state,
      hasFreshMetrics,
      cpuPct: metrics?.cpuUsage ?? null,
      memoryPct: metrics?.memoryUsage ?? null,
      gpuUtilPct: metrics?.gpuUsage ?? null,
      gpuMemoryPct: metrics?.gpuMemoryUsage ?? null,
      models: record.models,
      modelKeys: record.modelKeys,
      coolingDownUntilMs:
        shared === undefined
          ? record.coolingDownUntilMs
          : laterOf(record.coolingDownUntilMs, shared.othersCoolingDownUntilMs(record.key)),
    }
    record.view = view
    record.viewValidUntilMs = validUntilMs
    return view
  }

  #toFleetNode(record: NodeRecord, now: number): FleetNode {
    const view = this.#viewOf(record, now)
    const coolingDown = record.coolingDownUntilMs !== null && record.coolingDownUntilMs > now
    return {
      id: record.id,
      name: view.name,
      state: view.state,
      registration: record.registration,
      metrics: record.metrics,
      inFlight: record.inFlight,
      computeScore: view.computeScore,
      registeredAt: new Date(record.registeredAtMs).toISOString(),
      lastSeenAt: new Date(record.lastSeenMs).toISOString(),
      coolingDownUntil: coolingDown ? new Date(record.coolingDownUntilMs as number).toISOString() : null,
    }
  }

  /**
   * Makes room for a new node by dropping the node that has been stale longest and has nothing in
   * flight: a host that vanished should not hold a slot forever. False when there is none.
   */
  #evictOneStale(now: number): boolean {
    let oldest: NodeRecord | undefined
    for (const record of this.#records.values()) {
      if (record.inFlight > 0) continue
      if (
        nodeStateAt({ now, lastSeenMs: record.lastSeenMs, ttlMs: this.#options.ttlMs, isDraining: false }) !==
        'stale'
      )
        continue
      if (oldest === undefined || record.lastSeenMs < oldest.lastSeenMs) oldest = record
    }
    if (oldest === undefined) return false
    this.#remove(oldest, 'evicted: stale, registry full')
    return true
  }

  #remove(record: NodeRecord, why: string): void {
    // Published idle: nothing of it is shared once it is gone.
    record.awaitingTokens = 0
    record.coolingDownUntilMs = null
    if (record.inFlight === 0) this.#publish(record)
    this.#records.delete(record.id)
    this.#idsByKey.delete(record.key)
    this.#metricsLabels.release(record.registration.hostname, record.id, record.metricsLabel)
    this.#modelHealth.forgetNode(record.id)
    this.#snapshot = null
    this.#options.log.info({ nodeId: record.id, name: record.registration.hostname, why }, 'node removed')
    this.#freeSlots.push(record.slot)
    const removed: RemovedNode = {
      id: record.id,
      runtimeUrl: record.registration.runtime.url,
      slot: record.slot,
    }
    for (const listener of this.#removedListeners) listener(removed)
  }
}

/** Ours plus the others'; full while one of ours is not yet visible to them (see SharedLoad). */
function sharedInFlight(record: NodeRecord, shared: SharedLoad, maxConcurrency: number): number {
  const inFlight = record.inFlight + shared.othersInFlight(record.key)
  return shared.hasUnconfirmed(record.key) ? Math.max(inFlight, maxConcurrency) : inFlight
}

function laterOf(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.max(a, b)
}

/** Splits the runtime's API key off a registration: stored and shown apart, never together. */
function withoutApiKey(registration: AgentRegistration): {
  registration: PublicRegistration
  upstreamAuthorization: string | null
} {
  const { apiKey, ...runtime } = registration.runtime
  if (apiKey === undefined) return { registration, upstreamAuthorization: null }
  return { registration: { ...registration, runtime }, upstreamAuthorization: `Bearer ${apiKey}` }
}

function sameModels(current: ReadonlySet<string>, next: readonly string[]): boolean {
  if (current.size !== next.length) return false
  for (const model of next) if (!current.has(model)) return false
  return true
}

/**
 * The smallest GPU's memory in bytes, 0 when none is known (no GPUs). A GPU reporting 0 MiB is one the
 * agent could not read (agent-sampler.ts counts it unknown), not one that holds nothing.
 */
function smallestVramBytes(gpus: readonly { readonly vramTotalMiB: number }[]): number {
  let smallest = Number.POSITIVE_INFINITY
  for (const gpu of gpus) if (gpu.vramTotalMiB > 0 && gpu.vramTotalMiB < smallest) smallest = gpu.vramTotalMiB
  return smallest === Number.POSITIVE_INFINITY ? 0 : smallest * 1024 * 1024
}
