/**
 * What a balancing decision returns: data, not text. `reason.kind` is a bounded set (a Prometheus
 * label); `formatReason` renders the words that go into the request log and `X-Fleet-Reason`.
 */
import type { NodeView } from '../node-view.js'

export type SelectionReason =
  /** `round-robin` mode: the cursor's next online node. */
  | { readonly kind: 'round-robin'; readonly position: number; readonly of: number }
  /** `metrics` mode: the lowest load score won. */
  | { readonly kind: 'metrics-score'; readonly score: number }
  /** `metrics` mode: every node with metrics is over the CPU threshold, so round-robin. */
  | { readonly kind: 'metrics-all-hot'; readonly position: number; readonly of: number }
  /** `spec` mode: the best tier had room. `tier` is 1-based (1 = highest compute score). */
  | {
      readonly kind: 'spec-tier'
      readonly tier: number
      readonly score: number
      readonly inFlight: number
      readonly max: number
    }
  /** `spec` mode: higher tiers were busy, so the request spilled over to a lower one. */
  | {
      readonly kind: 'spill-over'
      readonly tier: number
      readonly score: number
      readonly inFlight: number
      readonly max: number
      readonly busyAbove: number
    }
  /**
   * `fastest-finish` mode: the node with the earliest expected finish. `inFlight` counts the runtime's
   * backlog too; at or over `max` the request queues there. `allHot`: every candidate ran over the CPU
   * threshold, so hot nodes were ranked too.
   */
  | {
      readonly kind: 'fastest-finish'
      readonly score: number
      readonly inFlight: number
      readonly max: number
      readonly allHot: boolean
    }
  /** Every candidate is busy: round-robin over all of them. */
  | { readonly kind: 'all-busy'; readonly position: number; readonly of: number }

export type SelectionReasonKind = SelectionReason['kind']

/** Why no node can take the request: maps to 404 (model-not-served) or 503 + Retry-After. */
export type NoCandidateCause = 'none-online' | 'model-not-served' | 'all-cooling-down'

export type Selection =
  | { readonly kind: 'selected'; readonly node: NodeView; readonly reason: SelectionReason }
  | { readonly kind: 'none'; readonly cause: NoCandidateCause }

/** The reason in words, e.g. `spec tier 1 (score 812), 2/4 in flight`. */
export function formatReason(reason: SelectionReason): string {
  switch (reason.kind) {
    case 'round-robin':
      return `round-robin ${reason.position}/${reason.of}`
    case 'metrics-score':
      return `lowest load score ${round(reason.score)}`
    case 'metrics-all-hot':
      return `all nodes over the CPU threshold: round-robin ${reason.position}/${reason.of}`
    case 'spec-tier':
      return `spec tier ${reason.tier} (score ${round(reason.score)}), ${reason.inFlight}/${reason.max} in flight`
    case 'spill-over':
      return `spill-over to tier ${reason.tier} (score ${round(reason.score)}, ${reason.inFlight}/${reason.max} in flight): ${reason.busyAbove} faster node${reason.busyAbove === 1 ? '' : 's'} busy`
    case 'fastest-finish':
      return `fastest expected finish (score ${round(reason.score)}), ${reason.inFlight}/${reason.max} in flight${reason.inFlight >= reason.max ? ', queues' : ''}${reason.allHot ? ', all nodes over the CPU threshold' : ''}`
    case 'all-busy':
      return `all busy: round-robin ${reason.position}/${reason.of}`
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
