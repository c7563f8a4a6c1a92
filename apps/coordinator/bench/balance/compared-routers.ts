/**
 * Every router the balancing benchmark compares, in table and legend order: textbook baselines,
 * published routers (each faithful to the source named in its file), and every llm-fleet mode through
 * the seam (llm-fleet-router.ts), including any mode added to BALANCER_MODES later.
 */
import { BALANCER_MODES } from '../../src/core/balancer/strategies.js'
import { PUSH_INTERVAL_MS } from './engine.js'
import { LlmFleetRouter } from './llm-fleet-router.js'
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

export function comparedRouter(name: string): ComparedRouter {
  const found = COMPARED_ROUTERS.find((router) => router.name === name)
  if (found === undefined) throw new Error(`no compared router named ${name}`)
  return found
}
