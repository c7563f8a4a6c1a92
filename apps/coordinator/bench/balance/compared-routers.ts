/**
 * Every router the balancing benchmark compares, in table and legend order: textbook baselines,
 * published routers (each faithful to the source named in its file), and every llm-fleet mode through
 * the seam (llm-fleet-router.ts), including any mode added to BALANCER_MODES later.
 */
import { ConfigSchema } from '../../src/config.js'
import { BALANCER_MODES } from '../../src/core/balancer/strategies.js'
import { PUSH_INTERVAL_MS } from './engine.js'
import { LlmFleetRouter, type LlmFleetRouterOptions } from './llm-fleet-router.js'
import { LiteLlmLatencyRouter } from './routers/litellm-latency.js'
import { LlmDRouter, SglangCacheAwareRouter, VllmPrefixAwareRouter } from './routers/prefix-routers.js'
import type { Router } from './routers/router.js'
import {
  LeastInFlightRouter,
  PowerOfTwoRouter,
  RandomRouter,
  WeightedLeastInFlightRouter,
} from './routers/simple.js'

export interface ComparedRouter {
  readonly name: string
  readonly make: (random: () => number) => Router
}

function llmFleet(mode: (typeof BALANCER_MODES)[number], busyGpuPct?: number): ComparedRouter {
  const name =
    busyGpuPct === undefined ? `llm-fleet:${mode}` : `llm-fleet:${mode} (BUSY_GPU_PCT=${busyGpuPct})`
  return {
    name,
    make: (random) =>
      new LlmFleetRouter({ mode, busyGpuPct, pushIntervalMs: PUSH_INTERVAL_MS, random, name }),
  }
}

export const COMPARED_ROUTERS: readonly ComparedRouter[] = [
  { name: 'random', make: (random) => new RandomRouter(random) },
  { name: 'least-in-flight', make: (random) => new LeastInFlightRouter(random) },
  { name: 'weighted-least-in-flight', make: (random) => new WeightedLeastInFlightRouter(random) },
  { name: 'p2c', make: (random) => new PowerOfTwoRouter(random) },
  { name: 'litellm-latency', make: (random) => new LiteLlmLatencyRouter(random) },
  { name: 'sglang-cache-aware', make: (random) => new SglangCacheAwareRouter(random) },
  { name: 'vllm-prefix-aware', make: (random) => new VllmPrefixAwareRouter(random) },
  { name: 'llm-d', make: (random) => new LlmDRouter(random) },
  ...BALANCER_MODES.map((mode) => llmFleet(mode)),
  // spec as designed keeps its GPU-utilization rule; this variant shows what that rule costs it.
  llmFleet('spec', 100),
]

/**
 * The default (`LOAD_BALANCER_MODE`'s default) with `change` to its router's options, named
 * `llm-fleet:<mode> (<label>)`.
 */
function defaultVariant(
  label: string,
  change: Pick<LlmFleetRouterOptions, 'firstTieTurn' | 'queueWhenBusy'>,
): ComparedRouter {
  const mode = ConfigSchema.shape.loadBalancerMode.parse(undefined)
  const name = `llm-fleet:${mode} (${label})`
  return {
    name,
    make: (random) => new LlmFleetRouter({ mode, pushIntervalMs: PUSH_INTERVAL_MS, random, name, ...change }),
  }
}

/**
 * The default run again with one change: where nodes tie exactly, its turn starts at the second node
 * rather than the first. It is not compared with the others; what moves between it and the default
 * shows how much of a seed's figure the order of exact ties alone can move (docs/balancing-benchmark.md).
 */
export const DEFAULT_REPLICA: ComparedRouter = defaultVariant('replica', { firstTieTurn: 1 })

/** The default with QUEUE_WHEN_BUSY: requests whose best node is full wait in the coordinator. */
export const QUEUED_DEFAULT: ComparedRouter = defaultVariant('QUEUE_WHEN_BUSY', { queueWhenBusy: true })

export function comparedRouter(name: string): ComparedRouter {
  const found = [...COMPARED_ROUTERS, DEFAULT_REPLICA, QUEUED_DEFAULT].find((router) => router.name === name)
  if (found === undefined) throw new Error(`no compared router named ${name}`)
  return found
}
