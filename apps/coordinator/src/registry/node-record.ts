/**
 * NodeRecord: the mutable state the registry holds per node, and how a registration becomes one. Only
 * the registry and its own modules see records; everything outside gets a `NodeView` or a `FleetNode`.
 */
import type { AgentMetrics, AgentRegistration, PublicRegistration } from '@llm-fleet/types'
import type { NodeView } from '../core/node-view.js'

export interface NodeRecord {
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
  /** Waiting in the registry's changed records for the next snapshot to replace its view. */
  isQueued: boolean
}

/** A registration split by `withoutApiKey`: what is stored and shown, and the key kept apart. */
export interface StoredRegistration {
  readonly registration: PublicRegistration
  readonly upstreamAuthorization: string | null
}

/** Who a new record is and where it sits (see `NodeIdentities` and the registry's slots). */
export interface NewRecordPlace {
  readonly id: string
  readonly key: string
  readonly metricsLabel: string
  readonly slot: number
}

const EMPTY_SET: ReadonlySet<string> = new Set()

/** A node registered at `now`: nothing in flight, no metrics or models yet (the caller sets the models). */
export function createNodeRecord(place: NewRecordPlace, stored: StoredRegistration, now: number): NodeRecord {
  return {
    id: place.id,
    key: place.key,
    metricsLabel: place.metricsLabel,
    slot: place.slot,
    registration: stored.registration,
    upstreamAuthorization: stored.upstreamAuthorization,
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
}

/** Splits the runtime's API key off a registration: stored and shown apart, never together. */
export function withoutApiKey(registration: AgentRegistration): StoredRegistration {
  const { apiKey, ...runtime } = registration.runtime
  if (apiKey === undefined) return { registration, upstreamAuthorization: null }
  return { registration: { ...registration, runtime }, upstreamAuthorization: `Bearer ${apiKey}` }
}
