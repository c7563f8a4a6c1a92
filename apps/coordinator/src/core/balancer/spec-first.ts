/**
 * `spec` mode: spec-first, busy-aware, round-robin fallback (the default is `fastest-finish`).
 *
 * The fastest hardware answers soonest, so the highest compute score that has room wins. Nodes with
 * equal scores form a tier and share its traffic by a rotating cursor. As the fast tiers fill up
 * (in-flight reaches maxConcurrency, or metrics run hot) requests spill over to the next tier. When
 * every candidate is busy there is no better choice left and the mode spreads load round-robin,
 * letting the runtimes queue.
 *
 * One pass finds the best free score and gathers its tied nodes (in `state.tieBuffer`); the cursor's
 * turn indexes into them: O(n), one pass, no sorting. Tier numbers (1 = highest score) are only counted when a request spills
 * over, which is the only time the reason needs them.
 */
import type { NodeView } from '../node-view.js'
import { takeTurn } from './round-robin.js'
import type { Selection, SelectionReason } from './selection.js'
import { type BalancerState, isBusy, type Strategy, takeTied } from './strategy.js'

/** Cursor keys of the tiers: `spec:<score>`. */
const TIER_CURSOR_PREFIX = 'spec:'

/**
 * Drops the cursors of tiers no node has any more (nodes left, or re-registered with another score):
 * scores are free numbers, so under churn the cursors would otherwise grow without bound.
 */
export function forgetTierCursors(state: BalancerState, nodes: readonly NodeView[]): void {
  let scores: Set<number> | null = null
  for (const key of state.cursors.keys()) {
    if (!key.startsWith(TIER_CURSOR_PREFIX)) continue
    scores ??= new Set(nodes.map((node) => node.computeScore))
    if (!scores.has(Number(key.slice(TIER_CURSOR_PREFIX.length)))) state.cursors.delete(key)
  }
}

export const specFirst: Strategy = (candidates, _request, state): Selection => {
  const ties = state.tieBuffer
  let bestFreeScore = Number.NEGATIVE_INFINITY
  let tiedCount = 0
  let topScore = Number.NEGATIVE_INFINITY
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    const score = node.computeScore
    if (score > topScore) topScore = score
    if (isBusy(node, state.busy)) continue
    if (score > bestFreeScore) {
      bestFreeScore = score
      tiedCount = 0
      ties[tiedCount++] = node
    } else if (score === bestFreeScore) {
      ties[tiedCount++] = node
    }
  }

  if (tiedCount === 0) {
    ties.length = 0
    const index = takeTurn(state, 'all-busy') % candidates.length
    return {
      kind: 'selected',
      node: candidates[index] as NodeView,
      reason: { kind: 'all-busy', position: index + 1, of: candidates.length },
    }
  }

  // One cursor per tier score, so each tier rotates on its own however traffic moves between tiers.
  const turn = tiedCount === 1 ? 0 : takeTurn(state, `${TIER_CURSOR_PREFIX}${bestFreeScore}`) % tiedCount
  const chosen = takeTied(state, tiedCount, turn)

  if (bestFreeScore === topScore) {
    return {
      kind: 'selected',
      node: chosen,
      reason: {
        kind: 'spec-tier',
        tier: 1,
        score: chosen.computeScore,
        inFlight: chosen.inFlight,
        max: chosen.maxConcurrency,
      },
    }
  }
  return { kind: 'selected', node: chosen, reason: spillOver(candidates, chosen) }
}

/** The spill-over reason: which tier took the request and how many faster nodes were busy. */
function spillOver(candidates: readonly NodeView[], chosen: NodeView): SelectionReason {
  const scoresAbove = new Set<number>()
  let busyAbove = 0
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    if (node.computeScore > chosen.computeScore) {
      busyAbove++
      scoresAbove.add(node.computeScore)
    }
  }
  return {
    kind: 'spill-over',
    tier: scoresAbove.size + 1,
    score: chosen.computeScore,
    inFlight: chosen.inFlight,
    max: chosen.maxConcurrency,
    busyAbove,
  }
}
