/**
 * ReadinessGate: the state behind `/readyz`. It holds what the pure `readinessAt` needs across calls:
 * when the process started, whether the fleet has been known once, and whether shutdown began.
 */
import { type Readiness, readinessAt } from '../core/readiness.js'
import type { NodeRegistry } from './node-registry.js'

/** Peers' view of the fleet, from the shared store (absent without `SHARED_STATE_URL`). */
export interface PeerFleet {
  /** Nodes the peers have online that `localOnline` lacks; null without live peers. */
  missingFromPeers(localOnline: ReadonlySet<string>): number | null
}

export interface ReadinessGateOptions {
  readonly registry: NodeRegistry
  readonly clock: () => number
  /** No new registration for this long counts as a settled registry (two push intervals). */
  readonly settleMs: number
  /** `READY_TIMEOUT_MS` */
  readonly timeoutMs: number
  readonly peers?: PeerFleet
}

export class ReadinessGate {
  readonly #options: ReadinessGateOptions
  readonly #startedAtMs: number
  #hasSettled = false
  #isShuttingDown = false

  constructor(options: ReadinessGateOptions) {
    this.#options = options
    this.#startedAtMs = options.clock()
  }

  /** From now on `/readyz` answers 503, so a health-checking front stops sending before we stop serving. */
  shutDown(): void {
    this.#isShuttingDown = true
  }

  get isShuttingDown(): boolean {
    return this.#isShuttingDown
  }

  check(): Readiness & { readonly online: number } {
    const { registry, clock, peers } = this.#options
    const onlineKeys = registry.onlineKeys()
    const readiness = readinessAt({
      now: clock(),
      startedAtMs: this.#startedAtMs,
      lastNewRegistrationMs: registry.lastNewRegistrationMs ?? this.#startedAtMs,
      settleMs: this.#options.settleMs,
      timeoutMs: this.#options.timeoutMs,
      onlineCount: onlineKeys.size,
      missingFromPeers: peers === undefined ? null : peers.missingFromPeers(onlineKeys),
      hasSettled: this.#hasSettled,
      isShuttingDown: this.#isShuttingDown,
    })
    this.#hasSettled = readiness.hasSettled
    return { ...readiness, online: onlineKeys.size }
  }
}
