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
      /** The node's per-GPU datasheet score. */
      readonly score: number
      readonly inFlight: number
      readonly max: number
      readonly allHot: boolean
      /** Expected seconds to finish here (finish-estimate.ts). */
      readonly estimateS: number
      /** Expected seconds to the answer's first token here, unweighted (`EstimateTerms.firstTokenS`). */
      readonly firstTokenS: number
      readonly isResident: boolean
      /** Prompt tokens this node is expected to hold in its prefix cache. */
      readonly cachedTokens: number
      /** The term in which the winner beat the runner-up most. */
      readonly decidedBy: FinishDecider
      /** The second-best node, null when there was none or the winner tied. */
      readonly runnerUp: {
        readonly name: string
        readonly estimateS: number
        readonly isResident: boolean
      } | null
    }
  /** Every candidate is busy: round-robin over all of them. */
  | { readonly kind: 'all-busy'; readonly position: number; readonly of: number }

export type SelectionReasonKind = SelectionReason['kind']

/** Which estimate term separated the default balancer's winner from the runner-up. */
export type FinishDecider = 'queue' | 'cold-load' | 'cache' | 'prefill' | 'decode' | 'tie' | 'only-candidate'

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
      return formatFinishReason(reason)
    case 'all-busy':
      return `all busy: round-robin ${reason.position}/${reason.of}`
  }
}

/** E.g. `warm, ~1.8k prompt tokens cached: est 0.9 s (gpu-1 cold: 5.2 s)`. */
function formatFinishReason(reason: Extract<SelectionReason, { kind: 'fastest-finish' }>): string {
  const parts = [reason.isResident ? 'warm' : 'cold load']
  if (reason.cachedTokens >= 1) parts.push(`~${formatTokens(reason.cachedTokens)} prompt tokens cached`)
  parts.push(`${reason.inFlight}/${reason.max} in flight${reason.inFlight >= reason.max ? ', queues' : ''}`)
  let text = `${parts.join(', ')}: est ${formatSeconds(reason.estimateS)}`
  const other = reason.runnerUp
  if (other !== null) {
    const why = DECIDER_WORDS[reason.decidedBy] ?? (other.isResident ? 'warm' : 'cold')
    text += ` (${other.name} ${why}: ${formatSeconds(other.estimateS)})`
  }
  if (reason.allHot) text += ', all nodes over the CPU threshold'
  return text
}

const DECIDER_WORDS: Partial<Record<FinishDecider, string>> = {
  queue: 'queued deeper',
  'cold-load': 'cold',
  cache: 'uncached',
  prefill: 'slower prefill',
  decode: 'slower decode',
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`
}

function formatTokens(tokens: number): string {
  return tokens >= 1000 ? `${(tokens / 1000).toFixed(1)}k` : String(Math.round(tokens))
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
