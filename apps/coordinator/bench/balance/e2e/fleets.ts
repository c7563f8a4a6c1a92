/** The e2e fleets: hosts whose real speed differs from what their nvidia-smi capture suggests. */
import type { E2eHost } from './harness.js'
import type { WorkloadShape } from './workload.js'

export const E2E_MODELS = ['llama3.2:3b', 'llama3.1:8b', 'qwen2.5:14b'] as const

/**
 * Four hosts. The 8× H100 capture scores highest, but its runtime runs at 0.3× its profile (a host
 * shared with other tenants, or throttled); the A10G runs faster than its profile. VRAM is what the
 * runtime may use for weights and KV: the small hosts cannot hold the three models at once.
 */
export const E2E_HOSTS: readonly E2eHost[] = [
  {
    name: 'h100-host',
    profile: 'h100',
    capture: 'gpuid__h100.xml',
    hiddenSpeed: 0.3,
    vramGiB: 40,
    loadGBs: 3,
    maxConcurrency: 8,
  },
  {
    name: 'rtx3090-host',
    profile: 'rtx-3090',
    capture: 'telegraf__rtx-3090-v12.xml',
    hiddenSpeed: 1,
    vramGiB: 20,
    loadGBs: 2,
    maxConcurrency: 4,
  },
  {
    name: 'a10g-host',
    profile: 'a10g',
    capture: 'telegraf__a10g.xml',
    hiddenSpeed: 1.4,
    vramGiB: 18,
    loadGBs: 2,
    maxConcurrency: 4,
  },
  {
    name: 't4-host',
    profile: 't4',
    capture: 'telegraf__tesla-t4.xml',
    hiddenSpeed: 1,
    vramGiB: 12,
    loadGBs: 1.5,
    maxConcurrency: 2,
  },
]

/** Six applications over the three models (the 8B twice as popular), ~1 500-token system prompts. */
export const E2E_WORKLOAD: WorkloadShape = {
  seed: 20_261_129,
  sessions: 48,
  meanGapMs: 350,
  turns: [2, 4],
  meanThinkMs: 1_200,
  appModels: ['llama3.1:8b', 'llama3.1:8b', 'llama3.2:3b', 'qwen2.5:14b', 'llama3.1:8b', 'llama3.2:3b'],
  systemPromptTokens: 1_500,
  maxTokens: [24, 160],
}
