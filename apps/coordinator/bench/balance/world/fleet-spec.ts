/**
 * The benchmark fleet as its operators configured it: boards, GPU counts, how the GPUs are grouped
 * (one runtime per GPU, or one tensor-parallel group), `OLLAMA_NUM_PARALLEL`, and the agent's
 * `MAX_CONCURRENCY` where the operator set it (else the agent's default of 4). All of this is
 * knowable; the true speeds are drawn in hidden.ts.
 */
import { type BoardId, GPU_BOARDS, MODELS, RUNTIME_OVERHEAD_GIB } from './catalog.js'

export interface HostSpec {
  readonly name: string
  readonly board: BoardId
  readonly gpuCount: number
  /** GPUs per serving unit: 1 = one runtime per GPU; gpuCount = one tensor-parallel group. */
  readonly gpusPerUnit: number
  /** Requests each model's runner on a unit decodes at once (OLLAMA_NUM_PARALLEL). */
  readonly slotsPerUnit: number
  /** MAX_CONCURRENCY as the operator set it; undefined = the agent's default (4). */
  readonly maxConcurrencySetting?: number
  /** When the host joins after the start, as a share of the arrival span. */
  readonly joinsAt?: number
  /** When the host leaves (drains), as a share of the arrival span. */
  readonly leavesAt?: number
}

/** The agent's default MAX_CONCURRENCY (apps/agent/src/config.ts DEFAULT_MAX_CONCURRENCY). */
export const AGENT_DEFAULT_MAX_CONCURRENCY = 4

export const FLEET: readonly HostSpec[] = [
  { name: 'h100x8', board: 'h100', gpuCount: 8, gpusPerUnit: 1, slotsPerUnit: 8 },
  { name: 'a100x2', board: 'a100', gpuCount: 2, gpusPerUnit: 1, slotsPerUnit: 8, maxConcurrencySetting: 16 },
  { name: 'l40s', board: 'l40s', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 6, maxConcurrencySetting: 6 },
  { name: 'rtx4090-a', board: 'rtx-4090', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4 },
  {
    name: 'rtx4090-b',
    board: 'rtx-4090',
    gpuCount: 1,
    gpusPerUnit: 1,
    slotsPerUnit: 4,
    maxConcurrencySetting: 4,
  },
  {
    name: 'rtx3090x2-tp',
    board: 'rtx-3090',
    gpuCount: 2,
    gpusPerUnit: 2,
    slotsPerUnit: 4,
    maxConcurrencySetting: 4,
  },
  { name: 'rtx3090', board: 'rtx-3090', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4 },
  { name: 'l4-a', board: 'l4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4, maxConcurrencySetting: 4 },
  { name: 'l4-b', board: 'l4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4, leavesAt: 0.4 },
  { name: 't4-a', board: 't4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 2, maxConcurrencySetting: 2 },
  { name: 't4-b', board: 't4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 2 },
  { name: 'rtx4090-late', board: 'rtx-4090', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4, joinsAt: 0.6 },
]

export function unitsOf(host: HostSpec): number {
  return host.gpuCount / host.gpusPerUnit
}

export function unitVramGiB(host: HostSpec): number {
  return GPU_BOARDS[host.board].vramGiB * host.gpusPerUnit
}

/** Models the operator pulled: every model whose weights fit one unit beside the runtime's overhead. */
export function pulledModels(host: HostSpec): string[] {
  const usableGB = ((unitVramGiB(host) - RUNTIME_OVERHEAD_GIB) * 1024 ** 3) / 1e9
  return MODELS.filter((model) => model.sizeGB * 1.05 <= usableGB).map((model) => model.id)
}
