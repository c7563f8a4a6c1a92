/**
 * What one dashboard update carries: the fleet (from `registry.list()`), the recent routing decisions
 * and the traffic chart. Built once per tick and sent to every open dashboard.
 */
import type { FleetNode, NodeState, RuntimeKind } from '@llm-fleet/types'
import type { RoutingDecision, TrafficPoint } from '../observability/request-history.js'

export interface DashboardGpu {
  readonly index: number
  readonly name: string
  readonly vramTotalMiB: number
  readonly vramUsedMiB: number | null
  readonly utilizationPct: number | null
  readonly temperatureC: number | null
  readonly powerDrawW: number | null
}

export interface DashboardNode {
  readonly id: string
  readonly name: string
  readonly state: NodeState
  readonly isCoolingDown: boolean
  readonly runtimeKind: RuntimeKind
  readonly runtimeUrl: string
  /** Whether the agent's last probe reached the runtime; null before the first push. */
  readonly isRuntimeUp: boolean | null
  readonly computeScore: number
  readonly inFlight: number
  readonly maxConcurrency: number
  readonly cpuPct: number | null
  readonly memoryPct: number | null
  /** How long ago the node last registered or pushed, by the coordinator's clock. */
  readonly lastSeenAgoMs: number
  /** The first `MAX_MODELS_SHOWN` models, and how many there are. */
  readonly models: readonly string[]
  readonly modelCount: number
  readonly gpus: readonly DashboardGpu[]
}

export interface DashboardSnapshot {
  readonly atMs: number
  /** Whether agents must send AGENT_TOKEN (the empty-fleet help shows the variable). */
  readonly isAgentTokenRequired: boolean
  readonly nodes: readonly DashboardNode[]
  /** Newest first. */
  readonly decisions: readonly RoutingDecision[]
  readonly traffic: readonly TrafficPoint[]
}

/** Models listed per node: a runtime may serve hundreds, and the row has room for a few. */
export const MAX_MODELS_SHOWN = 6

export interface SnapshotSources {
  readonly nodes: { list(): FleetNode[] }
  readonly history: { recentDecisions(): RoutingDecision[]; traffic(): TrafficPoint[] }
  readonly now: () => number
  readonly isAgentTokenRequired: boolean
}

export function buildDashboardSnapshot(sources: SnapshotSources): DashboardSnapshot {
  const atMs = sources.now()
  return {
    atMs,
    isAgentTokenRequired: sources.isAgentTokenRequired,
    nodes: sources.nodes.list().map((node) => toDashboardNode(node, atMs)),
    decisions: sources.history.recentDecisions(),
    traffic: sources.history.traffic(),
  }
}

function toDashboardNode(node: FleetNode, atMs: number): DashboardNode {
  const { registration, metrics } = node
  const live = new Map((metrics?.gpus ?? []).map((gpu) => [gpu.index, gpu]))
  const models = metrics?.runtime.models ?? registration.models
  return {
    id: node.id,
    name: node.name,
    state: node.state,
    isCoolingDown: node.coolingDownUntil !== null,
    runtimeKind: registration.runtime.kind,
    runtimeUrl: registration.runtime.url,
    isRuntimeUp: metrics === null ? null : metrics.runtime.up,
    computeScore: node.computeScore,
    inFlight: node.inFlight,
    maxConcurrency: registration.maxConcurrency,
    cpuPct: metrics?.cpuUsage ?? null,
    memoryPct: metrics?.memoryUsage ?? null,
    lastSeenAgoMs: Math.max(0, atMs - Date.parse(node.lastSeenAt)),
    models: models.slice(0, MAX_MODELS_SHOWN),
    modelCount: models.length,
    gpus: registration.gpus.map((device) => {
      const values = live.get(device.index) ?? device
      return {
        index: device.index,
        name: device.name,
        vramTotalMiB: values.vramTotalMiB,
        vramUsedMiB: values.vramUsedMiB,
        utilizationPct: values.utilizationPct,
        temperatureC: values.temperatureC,
        powerDrawW: values.powerDrawW,
      }
    }),
  }
}
