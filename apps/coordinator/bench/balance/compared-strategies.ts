/**
 * The strategies the balancing benchmark compares. The coordinator's modes run through the real
 * exported `select`; random, least in-flight and power of two choices are textbook baselines kept
 * here, not modes: the benchmark applies them to the nodes serving the request's model, which is all
 * `select`'s filters leave out in this fleet (every node online, none excluded or cooling down).
 */
import { select } from '../../src/core/balancer/select.js'
import type { Selection } from '../../src/core/balancer/selection.js'
import type { BalancerMode } from '../../src/core/balancer/strategies.js'
import {
  type BalancerState,
  DEFAULT_BUSY_THRESHOLDS,
  type SelectRequest,
} from '../../src/core/balancer/strategy.js'
import type { NodeView } from '../../src/core/node-view.js'

export interface ComparedStrategy {
  /** The name in tables, JSON rows and the chart. */
  readonly name: string
  /** The mode the balancer state carries (the core mode itself, or `round-robin` for baselines). */
  readonly mode: BalancerMode
  /** `BUSY_GPU_PCT` for this run; the default thresholds otherwise. */
  readonly busyGpuPct?: number
  readonly choose: (nodes: readonly NodeView[], request: SelectRequest, state: BalancerState) => Selection
}

function servers(nodes: readonly NodeView[], request: SelectRequest): NodeView[] {
  const model = request.model
  return model === undefined ? [...nodes] : nodes.filter((node) => node.models.has(model))
}

function load(node: NodeView): number {
  return node.inFlight + node.runtimeBacklog
}

function picked(node: NodeView | undefined): Selection {
  if (node === undefined) return { kind: 'none', cause: 'model-not-served' }
  return { kind: 'selected', node, reason: { kind: 'round-robin', position: 1, of: 1 } }
}

const random: ComparedStrategy['choose'] = (nodes, request, state) => {
  const candidates = servers(nodes, request)
  return picked(candidates[Math.floor(state.random() * candidates.length)])
}

/** Least in-flight: the fewest requests now (exact count plus reported backlog); ties rotate. */
const leastInFlight: ComparedStrategy['choose'] = (nodes, request, state) => {
  const candidates = servers(nodes, request)
  let fewest = Number.POSITIVE_INFINITY
  for (const node of candidates) fewest = Math.min(fewest, load(node))
  const tied = candidates.filter((node) => load(node) === fewest)
  const turn = state.cursors.get('least-in-flight') ?? 0
  state.cursors.set('least-in-flight', turn + 1)
  return picked(tied[turn % tied.length])
}

/** Power of two choices: two distinct random candidates, the one with fewer in flight. */
const powerOfTwo: ComparedStrategy['choose'] = (nodes, request, state) => {
  const candidates = servers(nodes, request)
  if (candidates.length < 2) return picked(candidates[0])
  const first = Math.floor(state.random() * candidates.length)
  let second = Math.floor(state.random() * (candidates.length - 1))
  if (second >= first) second++
  const a = candidates[first] as NodeView
  const b = candidates[second] as NodeView
  return picked(load(b) < load(a) ? b : a)
}

/** In the order of the table and the chart legend. */
export const COMPARED_STRATEGIES: readonly ComparedStrategy[] = [
  { name: 'round-robin', mode: 'round-robin', choose: select },
  { name: 'random', mode: 'round-robin', choose: random },
  { name: 'least-in-flight', mode: 'round-robin', choose: leastInFlight },
  { name: 'p2c', mode: 'round-robin', choose: powerOfTwo },
  { name: 'metrics', mode: 'metrics', choose: select },
  { name: 'spec', mode: 'spec', choose: select },
  // spec with the GPU-utilization rule switched off (BUSY_GPU_PCT=100): separates the rule's effect
  // from the strategy's shape.
  { name: 'spec (BUSY_GPU_PCT=100)', mode: 'spec', busyGpuPct: 100, choose: select },
  { name: 'fastest-finish', mode: 'fastest-finish', choose: select },
]

export function busyThresholdsOf(strategy: ComparedStrategy) {
  return strategy.busyGpuPct === undefined
    ? DEFAULT_BUSY_THRESHOLDS
    : { ...DEFAULT_BUSY_THRESHOLDS, gpuUtilPct: strategy.busyGpuPct }
}
