/**
 * `metrics` mode: the original design's load score, lowest wins.
 *
 *   score = cpuUsage + memoryUsage + gpuUsage + gpuMemoryUsage + activeRequests * 10
 *
 * with null GPU fields counted as 0 and activeRequests = our exact in-flight count plus what the
 * runtime reports beyond it. Nodes without fresh metrics have no score and rank after every node that
 * has one. When every node with metrics runs over the CPU threshold the score no longer separates
 * them (they are all saturated), so the mode falls back to round-robin over every candidate.
 */
import type { NodeView } from '../node-view.js'
import { takeTurn } from './round-robin.js'
import type { Selection } from './selection.js'
import { type Strategy, takeTied } from './strategy.js'

/** Each active request weighs as much as 10 points of utilization (the original design's weight). */
const ACTIVE_REQUEST_WEIGHT = 10

/** The load score of a node with fresh metrics. */
export function loadScore(node: NodeView): number {
  return (
    (node.cpuPct ?? 0) +
    (node.memoryPct ?? 0) +
    (node.gpuUtilPct ?? 0) +
    (node.gpuMemoryPct ?? 0) +
    (node.inFlight + node.runtimeBacklog) * ACTIVE_REQUEST_WEIGHT
  )
}

export const metricsScore: Strategy = (candidates, _request, state): Selection => {
  const ties = state.tieBuffer
  let bestScore = Number.POSITIVE_INFINITY
  let tiedCount = 0
  let withMetrics = 0
  let hot = 0
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    if (!node.hasFreshMetrics) continue
    withMetrics++
    if ((node.cpuPct ?? 0) > state.busy.cpuPct) hot++
    const score = loadScore(node)
    if (score < bestScore) {
      bestScore = score
      tiedCount = 0
      ties[tiedCount++] = node
    } else if (score === bestScore) {
      ties[tiedCount++] = node
    }
  }

  if (withMetrics > 0 && hot === withMetrics) {
    ties.length = 0
    const index = takeTurn(state, 'metrics-all-hot') % candidates.length
    return {
      kind: 'selected',
      node: candidates[index] as NodeView,
      reason: { kind: 'metrics-all-hot', position: index + 1, of: candidates.length },
    }
  }
  if (withMetrics === 0) {
    // No node has reported yet: nothing to rank by, so every candidate ties.
    ties.length = 0
    const index = takeTurn(state, 'metrics-unranked') % candidates.length
    return {
      kind: 'selected',
      node: candidates[index] as NodeView,
      reason: { kind: 'round-robin', position: index + 1, of: candidates.length },
    }
  }

  // Ties rotate over the tied set: "first of equals" would starve the later ones (olla's
  // least_connections.go explains the same starvation).
  const turn = tiedCount === 1 ? 0 : takeTurn(state, 'metrics-tie') % tiedCount
  return {
    kind: 'selected',
    node: takeTied(state, tiedCount, turn),
    reason: { kind: 'metrics-score', score: bestScore },
  }
}
