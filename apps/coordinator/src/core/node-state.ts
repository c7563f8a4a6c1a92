/**
 * A node's state as a pure function of time: `online` while its last contact is within the TTL,
 * `stale` after, `draining` once deregistered (whatever the clock says).
 */
import type { NodeState } from '@llm-fleet/types'

export interface NodeStateInput {
  /** The moment to evaluate at (milliseconds since the epoch). */
  readonly now: number
  /** Last registration or metrics push. */
  readonly lastSeenMs: number
  /** How long a node stays online without contact (`AGENT_TTL_MS`). */
  readonly ttlMs: number
  /** Set by `DELETE /api/agents/:id`; the node finishes in-flight work and is removed. */
  readonly isDraining: boolean
}

/** The state at `now`. The boundary is inclusive: a node seen exactly `ttlMs` ago is still online. */
export function nodeStateAt(input: NodeStateInput): NodeState {
  if (input.isDraining) return 'draining'
  return input.now - input.lastSeenMs <= input.ttlMs ? 'online' : 'stale'
}

/**
 * When a node seen at `lastSeenMs` turns stale: the first millisecond past the TTL. The registry
 * caches snapshots until the earliest of these, so staleness costs nothing between pushes.
 */
export function staleAtMs(lastSeenMs: number, ttlMs: number): number {
  return lastSeenMs + ttlMs + 1
}
