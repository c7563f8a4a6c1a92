/**
 * SharedLoadView: this coordinator's local copy of every live peer's per-node load, and the queue of
 * its own changes waiting to be published. No I/O and no clock of its own (`now` is passed in): the
 * Redis transport feeds it messages and drains its changes, and the registry reads it synchronously.
 */
import type { LoadEntry, SharedLoad } from '../registry/shared-load.js'
import type { LoadMessage, LoadTuple } from './load-message.js'

interface PeerNode {
  readonly inFlight: number
  readonly awaitingTokens: number
  /** On this coordinator's clock: the sender's remaining time added to when the message arrived. */
  readonly coolingDownUntilMs: number | null
}

interface Peer {
  readonly nodes: Map<string, PeerNode>
  /** Node keys the peer has online (from its heartbeats): what readiness compares with. */
  online: ReadonlySet<string>
  lastHeardMs: number
  seq: number
}

export interface SharedLoadViewOptions {
  /** This coordinator's id: its own messages, echoed by pub/sub, are ignored. */
  readonly selfId: string
  /** A peer not heard from for this long is gone and its counts drop (three heartbeats). */
  readonly peerTtlMs: number
  /** Told when a local change is waiting to be published (the transport schedules a flush). */
  readonly onDirty?: () => void
}

export class SharedLoadView implements SharedLoad {
  readonly #options: SharedLoadViewOptions
  readonly #peers = new Map<string, Peer>()
  /** Sum over peers, per node: what the registry reads on every view rebuild. */
  readonly #othersInFlight = new Map<string, number>()
  readonly #othersAwaiting = new Map<string, number>()
  readonly #othersCoolingDown = new Map<string, number>()
  /** This coordinator's current values, and those changed since the last publish. */
  readonly #local = new Map<string, LoadEntry>()
  readonly #dirty = new Set<string>()
  /**
   * Nodes where this coordinator took a slot that the peers may not know of yet: the seq of the message
   * that carries it (Infinity until it is sent). Cleared when that message comes back on the channel.
   */
  readonly #unconfirmed = new Map<string, number>()
  readonly #listeners = new Set<(nodeKeys: Iterable<string> | 'all') => void>()
  #seq = 0
  #isDegraded = false
  #divisor = 1

  constructor(options: SharedLoadViewOptions) {
    this.#options = options
  }

  othersInFlight(nodeKey: string): number {
    return this.#othersInFlight.get(nodeKey) ?? 0
  }

  othersAwaitingTokens(nodeKey: string): number {
    return this.#othersAwaiting.get(nodeKey) ?? 0
  }

  othersCoolingDownUntilMs(nodeKey: string): number | null {
    return this.#othersCoolingDown.get(nodeKey) ?? null
  }

  get capacityDivisor(): number {
    return this.#isDegraded ? this.#divisor : 1
  }

  /** True while the store is unreachable and each node's capacity is split. */
  get isDegraded(): boolean {
    return this.#isDegraded
  }

  /** Live coordinators, this one included. */
  get coordinatorCount(): number {
    return this.#peers.size + 1
  }

  /**
   * True while a slot this coordinator took on the node is not yet visible to its peers. The registry
   * then counts the node as full, so that each coordinator has at most one request per node the
   * others cannot see: together they exceed a node's maxConcurrency by at most (coordinators - 1).
   */
  hasUnconfirmed(nodeKey: string): boolean {
    return !this.#isDegraded && this.#peers.size > 0 && this.#unconfirmed.has(nodeKey)
  }

  publishLocal(load: LoadEntry): void {
    const previous = this.#local.get(load.key)?.inFlight ?? 0
    if (load.inFlight > previous) this.#unconfirmed.set(load.key, Number.POSITIVE_INFINITY)
    this.#local.set(load.key, load)
    const wasClean = this.#dirty.size === 0
    this.#dirty.add(load.key)
    if (wasClean) this.#options.onDirty?.()
  }

  onRemoteChange(listener: (nodeKeys: Iterable<string> | 'all') => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** The changes since the last call, as one message; undefined when nothing changed. */
  takeDelta(now: number): LoadMessage | undefined {
    if (this.#dirty.size === 0) return undefined
    const nodes: LoadTuple[] = []
    const seq = ++this.#seq
    for (const key of this.#dirty) {
      if (this.#unconfirmed.get(key) === Number.POSITIVE_INFINITY) this.#unconfirmed.set(key, seq)
      const entry = this.#local.get(key)
      if (entry !== undefined) nodes.push(encode(entry, now))
      // Idle and not cooling down: nothing left to tell after this message.
      if (entry !== undefined && isIdle(entry, now)) this.#local.delete(key)
    }
    this.#dirty.clear()
    return { from: this.#options.selfId, seq, kind: 'delta', nodes }
  }

  /** Everything this coordinator holds, for the heartbeat (and the stored copy new peers read). */
  fullState(now: number, onlineKeys: Iterable<string>): LoadMessage {
    const nodes: LoadTuple[] = []
    for (const entry of this.#local.values()) nodes.push(encode(entry, now))
    return { from: this.#options.selfId, seq: ++this.#seq, kind: 'full', nodes, online: [...onlineKeys] }
  }

  /** Applies a peer's message (its own echo is ignored). */
  apply(message: LoadMessage, now: number): void {
    if (message.from === this.#options.selfId) {
      this.#confirm(message.seq)
      return
    }
    if (this.#isDegraded) return
    if (message.kind === 'bye') {
      this.#dropPeer(message.from)
      return
    }
    let peer = this.#peers.get(message.from)
    if (peer !== undefined && message.seq <= peer.seq) {
      // An older full state read from the store after a newer message: only the liveness counts.
      peer.lastHeardMs = Math.max(peer.lastHeardMs, now)
      return
    }
    const changed = new Set<string>()
    if (peer === undefined) {
      peer = { nodes: new Map(), online: new Set(), lastHeardMs: now, seq: message.seq }
      this.#peers.set(message.from, peer)
    }
    peer.lastHeardMs = now
    peer.seq = message.seq
    if (message.kind === 'full') {
      // A full state replaces the peer's nodes: those it no longer lists are idle there.
      for (const key of peer.nodes.keys()) changed.add(key)
      peer.nodes.clear()
      peer.online = new Set(message.online ?? [])
    }
    for (const [key, inFlight, coolForMs, awaitingTokens = 0] of message.nodes) {
      changed.add(key)
      if (inFlight === 0 && awaitingTokens === 0 && coolForMs <= 0) peer.nodes.delete(key)
      else {
        const coolingDownUntilMs = coolForMs > 0 ? now + coolForMs : null
        peer.nodes.set(key, { inFlight, awaitingTokens, coolingDownUntilMs })
      }
    }
    this.#recompute(changed)
  }

  /** Drops peers not heard from within the TTL (a crashed coordinator's counts go with it). */
  expire(now: number): void {
    for (const [id, peer] of this.#peers) {
      if (now - peer.lastHeardMs > this.#options.peerTtlMs) this.#dropPeer(id)
    }
  }

  /**
   * The store is unreachable: forget the peers' counts (they go stale now) and take a 1/N share of
   * every node, N being the coordinators seen last. Returns N.
   */
  storeLost(): number {
    if (this.#isDegraded) return this.#divisor
    this.#divisor = this.coordinatorCount
    this.#isDegraded = true
    this.#unconfirmed.clear()
    this.#peers.clear()
    this.#othersInFlight.clear()
    this.#othersAwaiting.clear()
    this.#othersCoolingDown.clear()
    this.#notify('all')
    return this.#divisor
  }

  /** The store is back: counts are shared again (the transport re-reads the peers' states). */
  storeRegained(): void {
    if (!this.#isDegraded) return
    this.#isDegraded = false
    this.#notify('all')
  }

  /** Nodes peers have online that `localOnline` lacks; null without live peers. */
  missingFromPeers(localOnline: ReadonlySet<string>): number | null {
    if (this.#peers.size === 0) return null
    const missing = new Set<string>()
    for (const peer of this.#peers.values()) {
      for (const key of peer.online) if (!localOnline.has(key)) missing.add(key)
    }
    return missing.size
  }

  /** Our own message `seq` came back: the peers have had it (Redis wrote it to every subscriber). */
  #confirm(seq: number): void {
    const confirmed: string[] = []
    for (const [key, pendingSeq] of this.#unconfirmed) {
      if (pendingSeq <= seq) {
        this.#unconfirmed.delete(key)
        confirmed.push(key)
      }
    }
    if (confirmed.length > 0) this.#notify(confirmed)
  }

  #dropPeer(id: string): void {
    const peer = this.#peers.get(id)
    if (peer === undefined) return
    this.#peers.delete(id)
    this.#recompute(peer.nodes.keys())
  }

  #recompute(keys: Iterable<string>): void {
    const changed: string[] = []
    for (const key of keys) {
      let inFlight = 0
      let awaitingTokens = 0
      let coolingDownUntilMs: number | null = null
      for (const peer of this.#peers.values()) {
        const node = peer.nodes.get(key)
        if (node === undefined) continue
        inFlight += node.inFlight
        awaitingTokens += node.awaitingTokens
        if (node.coolingDownUntilMs !== null)
          coolingDownUntilMs = Math.max(coolingDownUntilMs ?? 0, node.coolingDownUntilMs)
      }
      setOrDelete(this.#othersInFlight, key, inFlight)
      setOrDelete(this.#othersAwaiting, key, awaitingTokens)
      if (coolingDownUntilMs === null) this.#othersCoolingDown.delete(key)
      else this.#othersCoolingDown.set(key, coolingDownUntilMs)
      changed.push(key)
    }
    if (changed.length > 0) this.#notify(changed)
  }

  #notify(nodeKeys: Iterable<string> | 'all'): void {
    for (const listener of this.#listeners) listener(nodeKeys)
  }
}

function isIdle(entry: LoadEntry, now: number): boolean {
  const isCooling = entry.coolingDownUntilMs !== null && entry.coolingDownUntilMs > now
  return entry.inFlight === 0 && entry.awaitingTokens === 0 && !isCooling
}

function setOrDelete(sums: Map<string, number>, key: string, sum: number): void {
  if (sum === 0) sums.delete(key)
  else sums.set(key, sum)
}

/**
 * The cool-down as the time remaining, not an end time, so peers' clocks need not agree. Without
 * prompts not started, the tuple of the version before, which a coordinator of that version reads.
 */
function encode(entry: LoadEntry, now: number): LoadTuple {
  const coolForMs = entry.coolingDownUntilMs === null ? 0 : Math.max(0, entry.coolingDownUntilMs - now)
  return entry.awaitingTokens === 0
    ? [entry.key, entry.inFlight, coolForMs]
    : [entry.key, entry.inFlight, coolForMs, entry.awaitingTokens]
}
