/**
 * `explain`: what `select` would decide for a request right now, and why every other node lost.
 * It runs the real `select` on a copy of the cursors, so asking never moves the round-robin turn.
 */
import { servesModel } from '../model-name.js'
import type { NodeView } from '../node-view.js'
import { prepareContext } from './fastest-finish.js'
import { createTerms, type EstimateTerms, estimateFinish, type RequestContext } from './finish-estimate.js'
import { loadScore } from './metrics-score.js'
import { select } from './select.js'
import type { Selection } from './selection.js'
import { type BalancerState, isBusy, type SelectRequest } from './strategy.js'

/** Why a node did not get the request. The first rule that applies wins, in `select`'s filter order. */
export type LossReason =
  | { readonly kind: 'not-online'; readonly state: NodeView['state'] }
  /** An OpenAI-only runtime cannot serve the Ollama API. */
  | { readonly kind: 'api-mismatch'; readonly runtimeKind: NodeView['runtimeKind'] }
  | { readonly kind: 'model-not-served' }
  | { readonly kind: 'cooling-down'; readonly untilMs: number }
  /** Spec mode: a higher score won; this node has room but ranks lower. */
  | { readonly kind: 'lower-tier'; readonly score: number; readonly winnerScore: number }
  | {
      readonly kind: 'busy'
      readonly inFlight: number
      readonly max: number
      /** Set only when over its threshold (one reason the node is busy). */
      readonly cpuPct: number | null
      readonly gpuUtilPct: number | null
    }
  /** Metrics mode: a lower load score won (null: the node has no fresh metrics and ranks last). */
  | { readonly kind: 'higher-load'; readonly loadScore: number | null; readonly winnerLoadScore: number }
  /**
   * Fastest-finish mode: another node is expected to finish this request sooner (seconds, see
   * `ExplainedCandidate.estimate` for the terms). `isHot`: over the CPU threshold, so ranked last.
   */
  | {
      readonly kind: 'slower-finish'
      readonly expected: number
      readonly winnerExpected: number
      readonly isHot: boolean
    }
  /** An equal peer (same tier, round-robin, tie) has the turn this time. */
  | { readonly kind: 'not-its-turn' }

export interface ExplainedCandidate {
  readonly id: string
  readonly name: string
  readonly runtimeKind: NodeView['runtimeKind']
  readonly state: NodeView['state']
  readonly computeScore: number
  readonly inFlight: number
  readonly maxConcurrency: number
  readonly isBusy: boolean
  readonly isSelected: boolean
  /** Null for the selected node. */
  readonly lostBecause: LossReason | null
  /**
   * Fastest-finish mode, nodes that passed the filters: the expected finish term by term, the learned
   * rates and their sample weight (0: the datasheet prior alone). Null otherwise.
   */
  readonly estimate: EstimateTerms | null
}

export interface Explanation {
  readonly selection: Selection
  /** Every node, the selected one first, then in snapshot order. */
  readonly candidates: readonly ExplainedCandidate[]
}

/** Explains a decision without taking it: `state` is left exactly as it was. */
export function explain(
  nodes: readonly NodeView[],
  request: SelectRequest,
  state: BalancerState,
): Explanation {
  const copy = { ...state, cursors: new Map(state.cursors) }
  const selection = select(nodes, request, copy)
  const winner = selection.kind === 'selected' ? selection.node : null
  const isModelFiltered =
    request.model !== undefined && nodes.some((node) => isReachable(node, request) && node.modelKeys.size > 0)
  // Copied out of the state's scratch, which the next decision overwrites.
  const prepared = state.mode === 'fastest-finish' ? prepareContext(request, copy) : null
  const context = prepared === null ? null : { ...prepared, hits: prepared.hits?.clone() ?? null }
  const candidates: ExplainedCandidate[] = []
  for (const node of nodes) {
    const isSelected = node === winner
    const lostBecause = isSelected ? null : lossReason(node, winner, request, state, isModelFiltered, context)
    const explained: ExplainedCandidate = {
      id: node.id,
      name: node.name,
      runtimeKind: node.runtimeKind,
      state: node.state,
      computeScore: node.computeScore,
      inFlight: node.inFlight,
      maxConcurrency: node.maxConcurrency,
      isBusy: isBusy(node, state.busy),
      isSelected,
      lostBecause,
      estimate: context !== null && (isSelected || isRanked(lostBecause)) ? termsOf(node, context) : null,
    }
    if (isSelected) candidates.unshift(explained)
    else candidates.push(explained)
  }
  return { selection, candidates }
}

/** The reason in words, e.g. `busy: 4/4 in flight`. */
export function formatLossReason(reason: LossReason): string {
  switch (reason.kind) {
    case 'not-online':
      return `not online (${reason.state})`
    case 'api-mismatch':
      return `its ${reason.runtimeKind} runtime does not speak this API`
    case 'model-not-served':
      return 'does not serve the model'
    case 'cooling-down':
      return 'cooling down after repeated upstream failures'
    case 'lower-tier':
      return `lower tier (score ${round(reason.score)} < ${round(reason.winnerScore)})`
    case 'busy': {
      const metrics = [
        reason.cpuPct === null ? null : `CPU ${round(reason.cpuPct)}%`,
        reason.gpuUtilPct === null ? null : `GPU ${round(reason.gpuUtilPct)}%`,
      ].filter((part) => part !== null)
      return `busy: ${reason.inFlight}/${reason.max} in flight${metrics.length > 0 ? `, ${metrics.join(', ')}` : ''}`
    }
    case 'higher-load':
      return reason.loadScore === null
        ? 'no fresh metrics: ranks after nodes with a load score'
        : `higher load score (${round(reason.loadScore)} > ${round(reason.winnerLoadScore)})`
    case 'slower-finish':
      return reason.isHot
        ? 'over the CPU threshold: ranks after cooler nodes'
        : `slower expected finish (${reason.expected.toFixed(2)} s vs the winner's ${reason.winnerExpected.toFixed(2)} s)`
    case 'not-its-turn':
      return 'an equal node has the round-robin turn'
  }
}

/** Lost after the filters, so an estimate was made for it. */
function isRanked(reason: LossReason | null): boolean {
  return reason !== null && (reason.kind === 'slower-finish' || reason.kind === 'not-its-turn')
}

function termsOf(node: NodeView, context: RequestContext): EstimateTerms {
  const terms = createTerms()
  estimateFinish(node, context, terms)
  return terms
}

function lossReason(
  node: NodeView,
  winner: NodeView | null,
  request: SelectRequest,
  state: BalancerState,
  isModelFiltered: boolean,
  context: RequestContext | null,
): LossReason {
  if (node.state !== 'online') return { kind: 'not-online', state: node.state }
  if (request.apiKind === 'ollama' && node.runtimeKind !== 'ollama') {
    return { kind: 'api-mismatch', runtimeKind: node.runtimeKind }
  }
  if (isModelFiltered && request.model !== undefined && !servesModel(node, request.model)) {
    return { kind: 'model-not-served' }
  }
  if (node.coolingDownUntilMs !== null && node.coolingDownUntilMs > request.now) {
    return { kind: 'cooling-down', untilMs: node.coolingDownUntilMs }
  }
  if (winner === null) return { kind: 'not-its-turn' }
  if (state.mode === 'metrics' && winner.hasFreshMetrics && (winner.cpuPct ?? 0) <= state.busy.cpuPct) {
    const winnerLoadScore = loadScore(winner)
    const nodeLoadScore = node.hasFreshMetrics ? loadScore(node) : null
    if (nodeLoadScore === null || nodeLoadScore > winnerLoadScore) {
      return { kind: 'higher-load', loadScore: nodeLoadScore, winnerLoadScore }
    }
    return { kind: 'not-its-turn' }
  }
  if (state.mode === 'fastest-finish' && context !== null) {
    const isNodeHot = node.hasFreshMetrics && (node.cpuPct ?? 0) > state.busy.cpuPct
    const isWinnerHot = winner.hasFreshMetrics && (winner.cpuPct ?? 0) > state.busy.cpuPct
    const expected = termsOf(node, context).totalS
    const winnerExpected = termsOf(winner, context).totalS
    if ((isNodeHot && !isWinnerHot) || expected > winnerExpected) {
      return { kind: 'slower-finish', expected, winnerExpected, isHot: isNodeHot && !isWinnerHot }
    }
    return { kind: 'not-its-turn' }
  }
  if (state.mode === 'spec') {
    if (isBusy(node, state.busy)) {
      // Every node busy: round-robin over all of them, so busyness did not decide.
      if (isBusy(winner, state.busy)) return { kind: 'not-its-turn' }
      return {
        kind: 'busy',
        inFlight: node.inFlight + node.runtimeBacklog,
        max: node.maxConcurrency,
        cpuPct: overThreshold(node, node.cpuPct, state.busy.cpuPct),
        gpuUtilPct: overThreshold(node, node.gpuUtilPct, state.busy.gpuUtilPct),
      }
    }
    if (node.computeScore < winner.computeScore) {
      return { kind: 'lower-tier', score: node.computeScore, winnerScore: winner.computeScore }
    }
  }
  return { kind: 'not-its-turn' }
}

/** A fresh metric that is over its busy threshold, else null. */
function overThreshold(node: NodeView, value: number | null, threshold: number): number | null {
  return node.hasFreshMetrics && value !== null && value > threshold ? value : null
}

/** Passes `select`'s state and API filters (the ones before the model filter). */
function isReachable(node: NodeView, request: SelectRequest): boolean {
  return node.state === 'online' && (request.apiKind === 'openai' || node.runtimeKind === 'ollama')
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
