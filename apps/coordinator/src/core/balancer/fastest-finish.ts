/**
 * `fastest-finish` mode, the default: the node expected to finish this request soonest wins, in
 * seconds, from what the coordinator measured (finish-estimate.ts): waiting in the runtime's queue,
 * loading the model if it is not resident, prefilling the prompt tokens that node has not cached,
 * decoding at the rate this node showed for this model at its current batch size.
 *
 * Why not spec-first's thresholds: spec keeps filling the top tier until it is full, even when the next
 * tier would answer sooner, and then spreads evenly over every node. Nor GPU utilization: nvidia-smi
 * reads 90–100 % as soon as one request decodes. Hot CPU is still honoured: nodes over `BUSY_CPU_PCT`
 * are only chosen when every candidate is hot. Exact ties (identical idle nodes) rotate.
 *
 * Cost: one pass. A node whose answer alone (decode and the prefill no node can spare, at its fastest
 * possible rates), plus the model's load where it does not hold it, takes longer than the runner-up's
 * whole estimate is skipped without estimating it: in a large fleet most are, and the pick, its ties
 * and the runner-up the reason names are the same as with every node estimated.
 */
import { DEFAULT_PRIORS } from '../learning/fleet-knowledge.js'
import type { NodeView } from '../node-view.js'
import {
  cannotFinishBefore,
  type EstimateTerms,
  estimateFinish,
  estimateTotal,
  type RequestContext,
  tokensInBlocks,
  useTable,
} from './finish-estimate.js'
import { takeTurn } from './round-robin.js'
import type { FinishDecider, Selection } from './selection.js'
import { type BalancerState, type SelectRequest, type Strategy, takeTied } from './strategy.js'

/**
 * Works out what the request needs before the pass over the candidates: the model's learned table,
 * expected answer length, and which nodes hold its prompt's prefix. Decays the learned weights to now.
 */
export function prepareContext(request: SelectRequest, state: BalancerState): RequestContext {
  const context = state.scratch.context
  const knowledge = state.knowledge
  knowledge.refresh(request.now)
  // `peek` finds the table under Ollama's normal form, whatever the client's spelling (`learnedModelKey`).
  const table = request.model === undefined ? undefined : knowledge.peek(request.model)
  useTable(context, table, request.now)
  context.capacity = knowledge.capacity
  context.ceiling = knowledge.ceiling
  context.awaiting = knowledge.awaitingTokens
  context.priorWeight = knowledge.priorWeight
  context.heldForModel = request.heldForModel ?? 0
  const meanOutput = table === undefined ? DEFAULT_PRIORS.outputTokens : table.outputTokens.mean
  const limit = request.probe?.maxOutputTokens
  context.outputTokens = meanOutput
  context.answerTokens = limit !== undefined && limit < meanOutput ? limit : meanOutput
  context.loadSeconds = table === undefined ? DEFAULT_PRIORS.loadSeconds : table.loadSeconds.mean
  context.decodePerPoint = table === undefined ? DEFAULT_PRIORS.decodePerPoint : table.decodePerPoint.mean
  context.prefillPerPoint = table === undefined ? DEFAULT_PRIORS.prefillPerPoint : table.prefillPerPoint.mean
  const probe = request.probe
  context.promptTokens = probe === undefined ? 0 : probe.promptTokens
  context.prefixTokens = probe?.prefixTokens
  context.modelBytes = table === undefined ? 0 : table.sizeBytes
  if (probe !== undefined && probe.prefixHashes.length > 0) {
    state.prefixIndex.lookup(probe.prefixHashes, request.now, state.scratch.hits)
    context.hits = state.scratch.hits
  } else context.hits = null
  const deepest = context.hits === null || context.hits.count === 0 ? 0 : context.hits.deepest()
  const cachedAtMost = deepest === 0 ? 0 : Math.min(context.promptTokens, tokensInBlocks(context, deepest))
  context.uncachedAtLeast = context.promptTokens - cachedAtMost
  context.aloneSecondsPerPoint =
    context.answerTokens / context.decodePerPoint + context.uncachedAtLeast / context.prefillPerPoint
  return context
}

/** The cursor (`BalancerState.cursors`) whose turn picks among exactly tied nodes. */
export const TIE_CURSOR = 'fastest-finish'

export const fastestFinish: Strategy = (candidates, request, state): Selection => {
  const context = prepareContext(request, state)
  const terms = state.scratch.terms
  // The cool nodes tied for best are gathered as the pass goes, so the usual case needs one pass.
  const ties = state.tieBuffer
  let best = Number.POSITIVE_INFINITY
  let tiedCount = 0
  let runnerUp: NodeView | null = null
  let runnerUpS = Number.POSITIVE_INFINITY
  let bestHot = Number.POSITIVE_INFINITY
  let tiedHotCount = 0
  const hotCpuPct = state.busy.cpuPct
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    // Slower than the runner-up before any other term: neither the winner nor the runner-up. (The
    // runner-up is a cool node, and with one cool node the hot ones do not matter.)
    if (cannotFinishBefore(node, context, runnerUpS)) continue
    const estimate = rankOf(node, context)
    if (node.hasFreshMetrics && (node.cpuPct ?? 0) > hotCpuPct) {
      if (estimate < bestHot) {
        bestHot = estimate
        tiedHotCount = 1
      } else if (estimate === bestHot) tiedHotCount++
    } else if (estimate < best) {
      if (best < runnerUpS) {
        runnerUpS = best
        runnerUp = ties[0] ?? null
      }
      best = estimate
      tiedCount = 0
      ties[tiedCount++] = node
    } else if (estimate === best) ties[tiedCount++] = node
    else if (estimate < runnerUpS) {
      runnerUpS = estimate
      runnerUp = node
    }
  }

  if (tiedCount > 0) {
    // Ties rotate over the tied set: "first of equals" would starve identical nodes listed later.
    const turn = tiedCount === 1 ? 0 : takeTurn(state, TIE_CURSOR) % tiedCount
    const winner = takeTied(state, tiedCount, turn)
    return selected(winner, false, context, terms, tiedCount > 1 ? null : runnerUp)
  }
  ties.length = 0
  // Every candidate is hot (rare): a second pass finds the hot tie whose turn it is.
  let skip = tiedHotCount === 1 ? 0 : takeTurn(state, TIE_CURSOR) % tiedHotCount
  for (let i = 0; i < candidates.length; i++) {
    const node = candidates[i] as NodeView
    if (!isHot(node, state) || rankOf(node, context) !== bestHot) continue
    if (skip-- === 0) return selected(node, true, context, terms, null)
  }
  throw new Error('fastest-finish: the tied node vanished between two passes over the same array')
}

/**
 * The estimate, or the largest finite number when it is NaN or +Infinity (from a broken sample or
 * registration; no term is negative): such a node ranks last, and a decision always finds a pick.
 */
function rankOf(node: NodeView, context: RequestContext): number {
  const estimate = estimateTotal(node, context)
  // biome-ignore lint/complexity/useMathMinMax: Math.min would keep NaN, which is what this maps away.
  return estimate < Number.MAX_VALUE ? estimate : Number.MAX_VALUE
}

/** Builds the reason: the winner's terms and, against the runner-up, the term that decided. */
function selected(
  node: NodeView,
  allHot: boolean,
  context: RequestContext,
  terms: EstimateTerms,
  runnerUp: NodeView | null,
): Selection {
  estimateFinish(node, context, terms)
  const winner = { ...terms }
  let decidedBy: FinishDecider = 'only-candidate'
  let runnerUpReason = null
  if (runnerUp !== null) {
    estimateFinish(runnerUp, context, terms)
    decidedBy = decider(winner, terms)
    runnerUpReason = { name: runnerUp.name, estimateS: terms.totalS, isResident: terms.isResident }
  }
  return {
    kind: 'selected',
    node,
    reason: {
      kind: 'fastest-finish',
      score: node.gpuScore,
      inFlight: node.inFlight + node.runtimeBacklog,
      max: winner.slots,
      allHot,
      estimateS: winner.totalS,
      firstTokenS: winner.firstTokenS,
      isResident: winner.isResident,
      cachedTokens: winner.cachedTokens,
      decidedBy,
      runnerUp: runnerUpReason,
    },
  }
}

/** The term where the winner gained most over the runner-up. */
function decider(winner: EstimateTerms, other: EstimateTerms): FinishDecider {
  const gains: [FinishDecider, number][] = [
    ['queue', other.queueS - winner.queueS],
    ['cold-load', other.coldS - winner.coldS],
    [winner.cachedTokens > other.cachedTokens ? 'cache' : 'prefill', other.prefillS - winner.prefillS],
    ['decode', other.decodeS - winner.decodeS],
  ]
  let best = gains[0] as [FinishDecider, number]
  for (const gain of gains) if (gain[1] > best[1]) best = gain
  return best[1] > 0 ? best[0] : 'tie'
}

function isHot(node: NodeView, state: BalancerState): boolean {
  return node.hasFreshMetrics && (node.cpuPct ?? 0) > state.busy.cpuPct
}
