/**
 * What a host's agent reports about it, derived only from knowable facts (the boards nvidia-smi names,
 * the operator's settings, the models pulled): the registered compute score follows the agent's
 * formula (apps/agent/src/compute-score/compute-score.ts: per GPU fit × (datasheet GB/s + dense
 * FP16 TFLOPS) / 10 with fit = min(1, VRAM GiB / 16); `computeHostScore` sums over GPUs). Stated here
 * because apps never import each other; score-formula.test.ts pins the values the agent's own
 * score table publishes.
 */
import { GPU_BOARDS } from './catalog.js'
import { AGENT_DEFAULT_MAX_CONCURRENCY, type HostSpec, pulledModels } from './fleet-spec.js'

export interface AgentReport {
  readonly hostname: string
  readonly gpuName: string
  readonly gpuCount: number
  readonly gpuVramMiB: number
  readonly computeCapability: string
  readonly cpuCores: number
  /** The score the agent registers for the whole host. */
  readonly computeScore: number
  readonly maxConcurrency: number
  readonly models: readonly string[]
}

export function agentGpuScore(board: (typeof GPU_BOARDS)[keyof typeof GPU_BOARDS]): number {
  const fit = Math.min(1, board.vramGiB / 16)
  return Math.round(((fit * (board.bandwidthGBs + board.fp16Tflops)) / 10) * 10) / 10
}

export function agentReport(spec: HostSpec): AgentReport {
  const board = GPU_BOARDS[spec.board]
  return {
    hostname: spec.name,
    gpuName: board.smiName,
    gpuCount: spec.gpuCount,
    gpuVramMiB: board.vramGiB * 1024,
    computeCapability: board.computeCapability,
    cpuCores: spec.gpuCount >= 4 ? 64 : 16,
    computeScore: Math.round(agentGpuScore(board) * spec.gpuCount * 10) / 10,
    maxConcurrency: spec.maxConcurrencySetting ?? AGENT_DEFAULT_MAX_CONCURRENCY,
    models: pulledModels(spec),
  }
}
