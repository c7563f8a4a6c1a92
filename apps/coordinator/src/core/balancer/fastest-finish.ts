/**
 * `fastest-finish` mode: the node expected to finish a typical request soonest wins. Spec-first's
 * intent (the fastest GPU that has room wins) made quantitative, so that it also knows when a fast
 * node is too crowded to still be the fastest.
 *
 * A runtime batches its requests: a node decoding n of them produces `speed × n^α` tokens/s in total,
 * so each gets `speed × n^(α−1)`; beyond `maxConcurrency` requests wait in its FIFO queue and leave at
 * the full-batch completion rate. A new request on a node with `load` requests already there takes,
 * in units of one typical request on a 1-point GPU:
 *
 *   n = min(load + 1, maxConcurrency)                   the batch it decodes in
 *   q = max(0, load + 1 − maxConcurrency)               the requests queued up to and including it
 *   estimate = (n^(1−α) + q / maxConcurrency^α) / computeScore
 *
 * `computeScore` is the speed signal: the agent derives it from memory bandwidth, which sets decode
 * tokens/s (about 1 token/s per point on the mock runtime's profiles). α is the one constant the
 * coordinator cannot know per host; 0.7 sits in the 0.6–0.8 that vLLM measurements give, and the
 * ranking is not sensitive to it within that range (see the balancing-quality benchmark). `load` is the
 * exact in-flight count plus the runtime's own backlog, like `isBusy`.
 *
 * Why not spec-first's thresholds: an idle fleet sends everything to the top tier either way, but
 * spec keeps filling a node until it is full, even when the next tier would answer sooner, and then
 * spreads evenly over every node, slow ones included, when all are full. Nor the GPU-utilization rule:
 * nvidia-smi reports the share of time any kernel ran, which reads 90–100 % as soon as one request
 * decodes, so it says "in use", not "full". Hot CPU is still honoured: nodes over `BUSY_CPU_PCT` are
 * only chosen when every candidate is hot. Exact ties (identical idle nodes) rotate.
 */
import type { NodeView } from '../node-view.js'
import { takeTurn } from './round-robin.js'
import type { Selection } from './selection.js'
import { type BalancerState, type Strategy, takeTied } from './strategy.js'

/** Assumed batching exponent α of every host (aggregate tokens/s = single × n^α). */
export const ASSUMED_BATCHING_EXPONENT = 0.7
/** Scores below this (a CPU-only host scores 0) count as this, so such nodes rank last but stay usable. */
const MIN_SCORE = 0.1
/** Batch sizes up to this use precomputed powers: `select` stays O(n) with no Math.pow per node. */
const TABLE_SIZE = 1_025
const DECODE_FACTOR = Float64Array.from(
  { length: TABLE_SIZE },
  (_, n) => n ** (1 - ASSUMED_BATCHING_EXPONENT),
)
const FULL_BATCH_SPEEDUP = Float64Array.from({ length: TABLE_SIZE }, (_, n) => n ** ASSUMED_BATCHING_EXPONENT)

function decodeFactor(n: number): number {
  return n < TABLE_SIZE ? (DECODE_FACTOR[n] as number) : n ** (1 - ASSUMED_BATCHING_EXPONENT)
}

function fullBatchSpeedup(n: number): number {
  return n < TABLE_SIZE ? (FULL_BATCH_SPEEDUP[n] as number) : n ** ASSUMED_BATCHING_EXPONENT
}

/**
 * Expected time for one more request on `node`, relative: only the order between nodes means
 * anything (1 = a typical request alone on a 1-point GPU).
 */
export function expectedFinish(node: NodeView): number {
  const max = Math.max(1, node.maxConcurrency)
  const after = node.inFlight + node.runtimeBacklog + 1
  const batch = Math.min(after, max)
  const queued = after > max ? after - max : 0
  const score = Math.max(node.computeScore, MIN_SCORE)
  return (decodeFactor(batch) + queued / fullBatchSpeedup(max)) / score
}

export const fastestFinish: Strategy = (candidates, _request, state): Selection => {
  // The cool nodes tied for best are gathered as the pass goes, so the usual case needs one pass.
  const ties = state.tieBuffer
  let best = Number.POSITIVE_INFINITY
  let tiedCount = 0
  let bestHot = Number.POSITIVE_INFINITY
  let tiedHotCount = 0
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    const estimate = expectedFinish(node)
    if (isHot(node, state)) {
      if (estimate < bestHot) {
        bestHot = estimate
        tiedHotCount = 1
      } else if (estimate === bestHot) tiedHotCount++
    } else if (estimate < best) {
      best = estimate
      tiedCount = 0
      ties[tiedCount++] = node
    } else if (estimate === best) ties[tiedCount++] = node
  }

  if (tiedCount > 0) {
    // Ties rotate over the tied set: "first of equals" would starve identical nodes listed later.
    const turn = tiedCount === 1 ? 0 : takeTurn(state, 'fastest-finish') % tiedCount
    return selected(takeTied(state, tiedCount, turn), false)
  }
  ties.length = 0
  // Every candidate is hot (rare): a second pass finds the hot tie whose turn it is.
  let skip = tiedHotCount === 1 ? 0 : takeTurn(state, 'fastest-finish') % tiedHotCount
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    if (!isHot(node, state) || expectedFinish(node) !== bestHot) continue
    if (skip-- === 0) return selected(node, true)
  }
  throw new Error('fastest-finish: the tied node vanished between two passes over the same array')
}

function selected(node: NodeView, allHot: boolean): Selection {
  return {
    kind: 'selected',
    node,
    reason: {
      kind: 'fastest-finish',
      score: node.computeScore,
      inFlight: node.inFlight + node.runtimeBacklog,
      max: node.maxConcurrency,
      allHot,
    },
  }
}

function isHot(node: NodeView, state: BalancerState): boolean {
  return node.hasFreshMetrics && (node.cpuPct ?? 0) > state.busy.cpuPct
}
