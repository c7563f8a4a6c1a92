/**
 * Every balancing mode and the strategy that implements it. Adding a mode is one entry in
 * `BALANCER_MODES` and one in `STRATEGIES`; `LOAD_BALANCER_MODE` accepts it from then on, and the
 * shared contract suite (`strategy-contract.test-suite.ts`) should be called from its test file.
 */
import { fastestFinish } from './fastest-finish.js'
import { metricsScore } from './metrics-score.js'
import { roundRobin } from './round-robin.js'
import { specFirst } from './spec-first.js'
import type { Strategy } from './strategy.js'

export const BALANCER_MODES = ['spec', 'round-robin', 'metrics', 'fastest-finish'] as const
export type BalancerMode = (typeof BALANCER_MODES)[number]

export const STRATEGIES: Readonly<Record<BalancerMode, Strategy>> = {
  spec: specFirst,
  'round-robin': roundRobin,
  metrics: metricsScore,
  'fastest-finish': fastestFinish,
}
