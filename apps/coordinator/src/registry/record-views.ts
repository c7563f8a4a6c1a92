/**
 * What a NodeRecord looks like from outside: the `NodeView` the balancer reads on every request
 * (built once and cached on the record until it changes or a time-dependent field would) and the
 * `FleetNode` that `GET /api/agents` shows.
 */
import type { FleetNode } from '@llm-fleet/types'
import { nodeStateAt, staleAtMs } from '../core/node-state.js'
import type { NodeView } from '../core/node-view.js'
import type { NodeRecord } from './node-record.js'
import type { SharedLoad } from './shared-load.js'

/** The record's view at `now`: the cached one while valid, else a new one, cached in its place. */
export function nodeViewOf(
  record: NodeRecord,
  now: number,
  ttlMs: number,
  shared: SharedLoad | undefined,
): NodeView {
  if (record.view !== null && now < record.viewValidUntilMs) return record.view
  const state = nodeStateAt({ now, lastSeenMs: record.lastSeenMs, ttlMs, isDraining: record.isDraining })
  const hasFreshMetrics = record.lastMetricsMs !== null && now - record.lastMetricsMs <= ttlMs
  let validUntilMs = Number.POSITIVE_INFINITY
  if (state === 'online') validUntilMs = staleAtMs(record.lastSeenMs, ttlMs)
  if (hasFreshMetrics && record.lastMetricsMs !== null) {
    validUntilMs = Math.min(validUntilMs, staleAtMs(record.lastMetricsMs, ttlMs))
  }
  const metrics = record.metrics
  // Other coordinators' requests count as this one's: the node serves them all.
  const maxConcurrency = record.registration.maxConcurrency
  const inFlight = shared === undefined ? record.inFlight : sharedInFlight(record, shared, maxConcurrency)
  const view: NodeView = {
    id: record.id,
    name: record.registration.hostname,
    runtimeKind: record.registration.runtime.kind,
    computeScore: record.registration.computeScore,
    gpuScore: record.registration.computeScore / Math.max(1, record.registration.gpus.length),
    gpuCount: Math.max(1, record.registration.gpus.length),
    gpuVramBytes: smallestVramBytes(record.registration.gpus),
    capacityShare: shared === undefined || shared.capacityDivisor === 1 ? 1 : 1 / shared.capacityDivisor,
    slot: record.slot,
    inFlight,
    othersAwaitingTokens: shared === undefined ? 0 : shared.othersAwaitingTokens(record.key),
    // An old sample's backlog has long drained or grown: only fresh metrics count.
    runtimeBacklog: metrics === null || !hasFreshMetrics ? 0 : Math.max(0, metrics.activeRequests - inFlight),
    // Store unreachable: a 1/N share each, so N coordinators that cannot see each other stay within it.
    maxConcurrency:
      shared === undefined || shared.capacityDivisor === 1
        ? maxConcurrency
        : Math.max(1, Math.floor(maxConcurrency / shared.capacityDivisor)),
    state,
    hasFreshMetrics,
    cpuPct: metrics?.cpuUsage ?? null,
    memoryPct: metrics?.memoryUsage ?? null,
    gpuUtilPct: metrics?.gpuUsage ?? null,
    gpuMemoryPct: metrics?.gpuMemoryUsage ?? null,
    models: record.models,
    modelKeys: record.modelKeys,
    coolingDownUntilMs:
      shared === undefined
        ? record.coolingDownUntilMs
        : laterOf(record.coolingDownUntilMs, shared.othersCoolingDownUntilMs(record.key)),
  }
  record.view = view
  record.viewValidUntilMs = validUntilMs
  return view
}

/** The node as `GET /api/agents` reports it; `view` is the record's view at `now`. */
export function fleetNodeOf(record: NodeRecord, view: NodeView, now: number): FleetNode {
  const coolingDown = record.coolingDownUntilMs !== null && record.coolingDownUntilMs > now
  return {
    id: record.id,
    name: view.name,
    state: view.state,
    registration: record.registration,
    metrics: record.metrics,
    inFlight: record.inFlight,
    computeScore: view.computeScore,
    registeredAt: new Date(record.registeredAtMs).toISOString(),
    lastSeenAt: new Date(record.lastSeenMs).toISOString(),
    coolingDownUntil: coolingDown ? new Date(record.coolingDownUntilMs as number).toISOString() : null,
  }
}

/** Ours plus the others'; full while one of ours is not yet visible to them (see SharedLoad). */
function sharedInFlight(record: NodeRecord, shared: SharedLoad, maxConcurrency: number): number {
  const inFlight = record.inFlight + shared.othersInFlight(record.key)
  return shared.hasUnconfirmed(record.key) ? Math.max(inFlight, maxConcurrency) : inFlight
}

function laterOf(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.max(a, b)
}

/**
 * The smallest GPU's memory in bytes, 0 when none is known (no GPUs). A GPU reporting 0 MiB is one the
 * agent could not read (agent-sampler.ts counts it unknown), not one that holds nothing.
 */
function smallestVramBytes(gpus: readonly { readonly vramTotalMiB: number }[]): number {
  let smallest = Number.POSITIVE_INFINITY
  for (const gpu of gpus) if (gpu.vramTotalMiB > 0 && gpu.vramTotalMiB < smallest) smallest = gpu.vramTotalMiB
  return smallest === Number.POSITIVE_INFINITY ? 0 : smallest * 1024 * 1024
}
