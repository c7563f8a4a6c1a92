/**
 * NodeRegistry: every node the coordinator knows, as soft state in memory. Agents re-register after a
 * coordinator restart, so nothing is persisted. It owns the exact in-flight counts (through leases),
 * the upstream failure streaks and cool-downs, and hands the balancer cheap `NodeView` snapshots.
 * Its parts live beside it: the record held per node (node-record.ts) and its views (record-views.ts),
 * ids and names (node-identities.ts), model lists (node-models.ts), which stale nodes go
 * (stale-nodes.ts), the options (node-registry-options.ts) and the events (registry-events.ts).
 */
import type { AgentMetrics, AgentRegistration, FleetNode, NodeState } from '@llm-fleet/types'
import { ollamaModelKey } from '../core/model-name.js'
import type { NodeView } from '../core/node-view.js'
import { AgentNotFoundError, RegistryFullError } from '../errors.js'
import { createLease, type Lease } from './lease.js'
import { ModelHealth } from './model-health.js'
import { NodeIdentities, nodeKeyOf, warnNameShared } from './node-identities.js'
import { NodeModels } from './node-models.js'
import { createNodeRecord, type NodeRecord, type StoredRegistration, withoutApiKey } from './node-record.js'
import { DEFAULT_COOL_DOWN_FAILURES, type NodeRegistryOptions } from './node-registry-options.js'
import { fleetNodeOf, nodeViewOf } from './record-views.js'
import { type IngestedMetrics, Listeners, type RegisteredNode, type RemovedNode } from './registry-events.js'
import type { SharedLoad } from './shared-load.js'
import { isStaleTooLong, longestStaleIdle } from './stale-nodes.js'

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

export class NodeRegistry {
  readonly #options: NodeRegistryOptions
  readonly #coolDownFailures: number
  readonly #records = new Map<string, NodeRecord>()
  readonly #identities: NodeIdentities
  readonly #modelHealth: ModelHealth
  readonly #setTimer: (fn: () => void, ms: number) => void
  readonly #shared: SharedLoad | undefined
  readonly #removedListeners = new Listeners<RemovedNode>()
  readonly #capacityListeners = new Listeners<void>()
  readonly #metricsListeners = new Listeners<IngestedMetrics>()
  readonly #registeredListeners = new Listeners<RegisteredNode>()
  readonly #loadListeners = new Listeners<void>()
  /** Slots of removed nodes, reused before new ones so the slot range stays as small as the fleet. */
  readonly #freeSlots: number[] = []
  #nextSlot = 0
  readonly #models = new NodeModels()
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
    this.#identities = new NodeIdentities(options.generateId)
    this.#modelHealth = new ModelHealth({ failures: this.#coolDownFailures, coolDownMs: options.coolDownMs })
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref())
    this.#shared = options.sharedLoad
    this.#shared?.onRemoteChange((nodeKeys) => this.#remoteChanged(nodeKeys))
  }

  /**
   * Adds a node, or replaces the static info of the node with the same hostname and runtime URL
   * (keeping its id, in-flight count and metrics, and cancelling a drain: the agent is back).
   * @throws RegistryFullError when `maxNodes` are held and no stale idle node can make room.
   */
  register(received: AgentRegistration): RegisterResult {
    const stored = withoutApiKey(received)
    const now = this.#options.clock()
    const key = nodeKeyOf(stored.registration)
    const existingId = this.#identities.idOf(key)
    const existing = existingId === undefined ? undefined : this.#records.get(existingId)
    if (existing !== undefined) {
      this.#reRegister(existing, stored, now)
      return { agentId: existing.id, created: false }
    }
    if (this.#records.size >= this.#options.maxNodes && !this.#evictOneStale(now)) {
      throw new RegistryFullError(this.#options.maxNodes)
    }
    const { registration } = stored
    const { id, metricsLabel, namesakeId } = this.#identities.claim(registration.hostname, key, (taken) =>
      this.#records.has(taken),
    )
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++
    const record = createNodeRecord({ id, key, metricsLabel, slot }, stored, now)
    this.#models.set(record, registration.models)
    this.#records.set(id, record)
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
    const namesake = namesakeId === undefined ? undefined : this.#records.get(namesakeId)
    if (namesake !== undefined) warnNameShared(this.#options.log, record, namesake)
    this.#emitRegistered(record)
    this.#capacityListeners.emit()
    return { agentId: id, created: true }
  }

  #reRegister(record: NodeRecord, stored: StoredRegistration, now: number): void {
    record.registration = stored.registration
    record.upstreamAuthorization = stored.upstreamAuthorization
    this.#models.set(record, stored.registration.models)
    record.lastSeenMs = now
    record.isDraining = false
    this.#changed(record)
    this.#options.log.info({ nodeId: record.id, name: stored.registration.hostname }, 'node re-registered')
    this.#emitRegistered(record)
    this.#capacityListeners.emit()
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
    this.#models.update(record, metrics.runtime.models)
    record.metrics = metrics
    record.lastSeenMs = now
    record.lastMetricsMs = now
    this.#changed(record)
    // The push may have cleared a backlog or a busy GPU, or brought a stale node back.
    this.#capacityListeners.emit()
    this.#metricsListeners.emit({ id, slot: record.slot, metrics, atMs: now })
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
   * Removes nodes stale for longer than `forgetStaleAfterMs` with nothing in flight: a host that
   * vanished leaves nothing behind. Returns how many went.
   */
  sweep(): number {
    const forgetAfterMs = this.#options.forgetStaleAfterMs
    if (forgetAfterMs === undefined) return 0
    const now = this.#options.clock()
    let removed = 0
    for (const record of [...this.#records.values()]) {
      if (!isStaleTooLong(record, now, this.#options.ttlMs, forgetAfterMs)) continue
      this.#remove(record, 'forgotten: stale too long')
      removed++
    }
    return removed
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
    const { ttlMs } = this.#options
    const shared = this.#shared
    const views: NodeView[] = []
    let validUntilMs = Number.POSITIVE_INFINITY
    for (const record of this.#records.values()) {
      record.snapshotIndex = views.length
      views.push(nodeViewOf(record, now, ttlMs, shared))
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
    const { ttlMs } = this.#options
    const shared = this.#shared
    let validUntilMs = this.#snapshotValidUntilMs
    const changed = this.#changedRecords
    for (let i = 0; i < changed.length; i++) {
      const record = changed[i] as NodeRecord
      record.isQueued = false
      views[record.snapshotIndex] = nodeViewOf(record, now, ttlMs, shared)
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

  #changed(record: NodeRecord): void {
    record.view = null
    // Without a snapshot the next one is built from every record anyway.
    if (this.#snapshot === null || record.isQueued) return
    record.isQueued = true
    this.#changedRecords.push(record)
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

  /** Requests the coordinator is proxying to the node now; 0 for an unknown node. */
  inFlightOf(nodeId: string): number {
    return this.#records.get(nodeId)?.inFlight ?? 0
  }

  /**
   * The `Authorization` value for requests to the node's runtime (the agent's `RUNTIME_API_KEY`), or
   * undefined when it has none or is gone. The only way the key leaves the registry.
   */
  upstreamAuthorization(nodeId: string): string | undefined {
    return this.#records.get(nodeId)?.upstreamAuthorization ?? undefined
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
   * The node cannot serve a model its list names: it answered 404 for it (`not-found`, its list went
   * stale), or its runtime refused the node's key for it (`refused`, a gateway's per-model access).
   * The node stops being offered for the model until its next push or registration says otherwise.
   */
  markModelMissing(nodeId: string, model: string, why: 'not-found' | 'refused' = 'not-found'): void {
    const record = this.#records.get(nodeId)
    if (record === undefined || !this.#models.drop(record, model)) return
    this.#changed(record)
    const message =
      why === 'refused'
        ? "node's runtime refused its key for a model its list names (the key may not use that model)"
        : 'node does not serve a model its list names'
    this.#options.log.warn({ nodeId, model }, message)
  }

  /** A cool-down ending frees capacity that no request or push would announce. */
  #wakeAfterCoolDown(): void {
    if (this.#capacityListeners.size === 0) return
    this.#setTimer(() => {
      this.#snapshot = null
      this.#capacityListeners.emit()
      // +1: the balancer compares `until > now`, so the end itself is still cooling.
    }, this.#options.coolDownMs + 1)
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

  #toFleetNode(record: NodeRecord, now: number): FleetNode {
    return fleetNodeOf(record, nodeViewOf(record, now, this.#options.ttlMs, this.#shared), now)
  }

  /** Nodes per state now (for `/readyz` and metrics). */
  countByState(): Record<NodeState, number> {
    const counts: Record<NodeState, number> = { online: 0, stale: 0, draining: 0 }
    for (const view of this.snapshot()) counts[view.state]++
    return counts
  }

  /** The keys (`hostname \n runtime URL`, the same on every coordinator) of the nodes online now. */
  onlineKeys(): Set<string> {
    const keys = new Set<string>()
    const now = this.#options.clock()
    for (const record of this.#records.values()) {
      if (nodeViewOf(record, now, this.#options.ttlMs, this.#shared).state === 'online') keys.add(record.key)
    }
    return keys
  }

  /** Nodes held, in every state. */
  get size(): number {
    return this.#records.size
  }

  /** When a node last registered for the first time; null before any. */
  get lastNewRegistrationMs(): number | null {
    return this.#lastNewRegistrationMs
  }

  /**
   * The node's `node` label in the metrics: its name, or `name@id` when another held node had that
   * name (or label) as it first registered. Unique among the held nodes and fixed for the node's life;
   * undefined once the node is gone.
   */
  metricsLabel(nodeId: string): string | undefined {
    return this.#records.get(nodeId)?.metricsLabel
  }

  /** Per-model health entries held: 0 once every node that failed is gone (for leak checks). */
  get modelHealthEntries(): number {
    return this.#modelHealth.size
  }

  /**
   * Calls `listener` whenever a slot may have become usable without a request ending: a node
   * registered or pushed, or a cool-down ended. Returns a function that unsubscribes it.
   */
  onCapacity(listener: () => void): () => void {
    return this.#capacityListeners.add(listener)
  }

  /**
   * Calls `listener` when other coordinators' load changed (a slot freed elsewhere may let a waiting
   * request go). Returns a function that unsubscribes it.
   */
  onSharedLoadChange(listener: () => void): () => void {
    return this.#loadListeners.add(listener)
  }

  /** Calls `listener` after a node is removed. Returns a function that unsubscribes it. */
  onNodeRemoved(listener: (node: RemovedNode) => void): () => void {
    return this.#removedListeners.add(listener)
  }

  /** Calls `listener` after each registration, a node's first and its re-registrations. */
  onRegistered(listener: (registered: RegisteredNode) => void): () => void {
    return this.#registeredListeners.add(listener)
  }

  /** Calls `listener` after each stored metrics push. Returns a function that unsubscribes it. */
  onMetrics(listener: (pushed: IngestedMetrics) => void): () => void {
    return this.#metricsListeners.add(listener)
  }

  #emitRegistered(record: NodeRecord): void {
    this.#registeredListeners.emit({ id: record.id, slot: record.slot, registration: record.registration })
  }

  #remoteChanged(nodeKeys: Iterable<string> | 'all'): void {
    if (nodeKeys === 'all') {
      for (const record of this.#records.values()) record.view = null
      this.#snapshot = null
    } else {
      for (const key of nodeKeys) {
        const id = this.#identities.idOf(key)
        const record = id === undefined ? undefined : this.#records.get(id)
        if (record !== undefined) this.#changed(record)
      }
    }
    this.#loadListeners.emit()
  }

  /** Makes room for a new node by dropping the node stale longest with nothing in flight. */
  #evictOneStale(now: number): boolean {
    const oldest = longestStaleIdle(this.#records.values(), now, this.#options.ttlMs)
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
    this.#identities.release(record)
    this.#modelHealth.forgetNode(record.id)
    this.#snapshot = null
    this.#options.log.info({ nodeId: record.id, name: record.registration.hostname, why }, 'node removed')
    this.#freeSlots.push(record.slot)
    this.#removedListeners.emit({
      id: record.id,
      runtimeUrl: record.registration.runtime.url,
      slot: record.slot,
    })
  }
}
