/**
 * FleetMetrics: the coordinator's Prometheus metrics on a prom-client `Registry` it is given (never the
 * global default). Request counters and histograms move as the proxy reports (it is a
 * `ProxyObserver`); every per-node gauge is computed from the registry at scrape time, so series of
 * removed nodes vanish with them. Label values are bounded: route patterns, status codes, reason kinds,
 * node labels (one per held node, at most `MAX_NODES`), GPU indexes, and the models that nodes serve
 * (see `ModelLabels`).
 */

import type { FleetNode } from '@llm-fleet/types'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { SelectionReason } from '../core/balancer/selection.js'
import { servesModel } from '../core/model-name.js'
import type { NodeView } from '../core/node-view.js'
import type { ProxiedRecord, ProxyObserver, RejectedRecord } from '../proxy/proxy-observer.js'
import type { RemovedNode } from '../registry/registry-events.js'
import { ModelLabels } from './model-labels.js'

/**
 * Seconds. LLM answers range from an embedding in tens of milliseconds to a long generation (or a model
 * load before the first byte) of minutes; the upstream headers timeout defaults to 5 minutes.
 */
export const LLM_LATENCY_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300] as const

/** Why an agent's metrics push was refused: the `reason` label of `llm_fleet_agent_pushes_rejected_total`. */
export type PushRejection = 'invalid' | 'unauthorized' | 'unknown-agent' | 'too-large' | 'error'

/** What the agent API reports about each metrics push. */
export interface AgentPushObserver {
  /** A push was answered: `null` when accepted, else why it was refused. */
  onPush(rejection: PushRejection | null): void
}

/** What the metrics read from the node registry (`NodeRegistry` provides it). */
export interface MetricsNodeSource {
  list(): FleetNode[]
  /**
   * The node's `node` label, unique among the held nodes and fixed for the node's life. Undefined once
   * the node is gone: a request that ends after its node left adds no series.
   */
  metricsLabel(nodeId: string): string | undefined
  onNodeRemoved(listener: (node: RemovedNode) => void): () => void
}

export interface FleetMetricsOptions {
  /** Where the metrics are registered; `GET /metrics` renders it. */
  readonly registry: Registry
  readonly nodes: MetricsNodeSource
  /** Most distinct `model` label values (default `DEFAULT_MAX_MODEL_LABELS`). */
  readonly maxModelLabels?: number
}

export const DEFAULT_MAX_MODEL_LABELS = 100

/** The `node` label of requests that reached no node. */
const NO_NODE = ''
/** The `reason` label of a selection made after the previous node failed. */
const FAILOVER = 'failover'
const MiB = 1024 * 1024

type RequestLabel = 'route' | 'node' | 'model' | 'status'
type LatencyLabel = 'route' | 'node'
type SelectionLabel = 'node' | 'reason'

/**
 * A counter series counted in a plain number on the hot path and added to prom-client when scraped:
 * prom-client hashes the label set on every `inc`, even through a child (~0.2 µs each).
 */
interface PendingCount<Label extends string> {
  readonly labels: Readonly<Record<Label, string>>
  pending: number
}

/** The series of a node: the hot path finds each with one Map lookup. */
interface NodeChildren {
  /** The node's `node` label. */
  readonly label: string
  /** By `route \n model \n status`. */
  readonly requests: Map<string, PendingCount<RequestLabel>>
  readonly duration: Map<string, Histogram.Internal<LatencyLabel>>
  readonly ttfb: Map<string, Histogram.Internal<LatencyLabel>>
  /** By reason label. */
  readonly selections: Map<string, PendingCount<SelectionLabel>>
}

export class FleetMetrics implements ProxyObserver, AgentPushObserver {
  readonly #requests: Counter<RequestLabel>
  readonly #duration: Histogram<LatencyLabel>
  readonly #ttfb: Histogram<LatencyLabel>
  readonly #selections: Counter<SelectionLabel>
  readonly #pushesReceived: Counter
  readonly #pushesRejected: Counter<'reason'>
  readonly #models: ModelLabels
  /** By node id; entries (and their series) go when the node is removed. */
  readonly #children = new Map<string, NodeChildren>()
  readonly #nodes: MetricsNodeSource
  readonly #stopListening: () => void

  constructor(options: FleetMetricsOptions) {
    const { registry, nodes } = options
    this.#nodes = nodes
    this.#models = new ModelLabels(options.maxModelLabels ?? DEFAULT_MAX_MODEL_LABELS)
    const registers = [registry]

    this.#requests = new Counter({
      name: 'llm_fleet_requests_total',
      help: 'Inference requests that reached balancing, by route, node (empty when none could take it), model (`other` when no node serves it) and status',
      labelNames: ['route', 'node', 'model', 'status'],
      registers,
      collect: () => this.#flushPending(),
    })
    this.#duration = new Histogram({
      name: 'llm_fleet_request_duration_seconds',
      help: 'Inference request duration until the response ended, by route and node',
      labelNames: ['route', 'node'],
      buckets: [...LLM_LATENCY_BUCKETS_S],
      registers,
    })
    this.#ttfb = new Histogram({
      name: 'llm_fleet_request_ttfb_seconds',
      help: "Time until the node's response headers (the first byte; model loading included), by route and node",
      labelNames: ['route', 'node'],
      buckets: [...LLM_LATENCY_BUCKETS_S],
      registers,
    })
    this.#selections = new Counter({
      name: 'llm_fleet_selections_total',
      help: "Nodes chosen by the balancer, by node and the reason's kind (`failover`: a retry after the previous node failed)",
      labelNames: ['node', 'reason'],
      registers,
      collect: () => this.#flushPending(),
    })
    this.#pushesReceived = new Counter({
      name: 'llm_fleet_agent_pushes_received_total',
      help: 'Agent metrics pushes received, accepted or not',
      registers,
    })
    this.#pushesRejected = new Counter({
      name: 'llm_fleet_agent_pushes_rejected_total',
      help: 'Agent metrics pushes refused, by reason',
      labelNames: ['reason'],
      registers,
    })
    registerNodeGauges(registry, nodes)

    this.#stopListening = nodes.onNodeRemoved((node) => this.#forgetNode(node.id))
  }

  onAttempt(node: NodeView, reason: SelectionReason, attempt: number): void {
    const children = this.#childrenOf(node)
    if (children === null) return
    const label = attempt === 0 ? reason.kind : FAILOVER
    let count = children.selections.get(label)
    if (count === undefined) {
      count = { labels: { node: children.label, reason: label }, pending: 0 }
      children.selections.set(label, count)
    }
    count.pending++
  }

  onProxied(record: ProxiedRecord): void {
    const children = this.#childrenOf(record.node)
    if (children === null) return
    // The name as the client sent it, admitted when the node serves it by its runtime's own matching.
    const model = this.#models.labelOf(record.model, { has: (name) => servesModel(record.node, name) })
    const key = `${record.route}\n${model}\n${record.status}`
    let count = children.requests.get(key)
    if (count === undefined) {
      count = {
        labels: { route: record.route, node: children.label, model, status: String(record.status) },
        pending: 0,
      }
      children.requests.set(key, count)
    }
    count.pending++
    latencyChild(this.#duration, children.duration, record.route, children.label).observe(
      record.totalMs / 1000,
    )
    if (record.ttfbMs !== null) {
      latencyChild(this.#ttfb, children.ttfb, record.route, children.label).observe(record.ttfbMs / 1000)
    }
  }

  onRejected(record: RejectedRecord): void {
    // Rare (nothing can serve): no child cache needed.
    this.#requests.inc({
      route: record.route,
      node: NO_NODE,
      model: this.#models.labelOf(record.model, null),
      status: String(record.status),
    })
  }

  onPush(rejection: PushRejection | null): void {
    this.#pushesReceived.inc()
    if (rejection !== null) this.#pushesRejected.inc({ reason: rejection })
  }

  /** Nodes with request series (for leak checks): 0 once they are gone. */
  get seriesNodeCount(): number {
    return this.#children.size
  }

  /** Stops following node removals (the app's onClose). */
  close(): void {
    this.#stopListening()
  }

  /** The node's cached children; null when the node is gone (its series were removed with it). */
  #childrenOf(node: NodeView): NodeChildren | null {
    let children = this.#children.get(node.id)
    if (children === undefined) {
      // The first request of a node, or one that ended after the node was removed.
      const label = this.#nodes.metricsLabel(node.id)
      if (label === undefined) return null
      children = { label, requests: new Map(), duration: new Map(), ttfb: new Map(), selections: new Map() }
      this.#children.set(node.id, children)
    }
    return children
  }

  /**
   * Adds the counts since the last scrape to the prom-client counters. Both counters' `collect` call
   * it (prom-client collects each metric separately); the second finds nothing pending.
   */
  #flushPending(): void {
    for (const children of this.#children.values()) {
      flush(this.#requests, children.requests)
      flush(this.#selections, children.selections)
    }
  }

  /** Removes the request series of a node that left, so that node churn cannot grow them forever. */
  #forgetNode(nodeId: string): void {
    const children = this.#children.get(nodeId)
    if (children === undefined) return
    this.#children.delete(nodeId)
    // Counts not yet scraped go too: the series is removed, so nothing would carry them.
    for (const { labels } of children.requests.values()) this.#requests.remove(labels)
    for (const route of children.duration.keys()) this.#duration.remove({ route, node: children.label })
    for (const route of children.ttfb.keys()) this.#ttfb.remove({ route, node: children.label })
    for (const { labels } of children.selections.values()) this.#selections.remove(labels)
  }
}

function flush<Label extends string>(
  counter: Counter<Label>,
  counts: Map<string, PendingCount<Label>>,
): void {
  for (const count of counts.values()) {
    if (count.pending === 0) continue
    counter.inc(count.labels, count.pending)
    count.pending = 0
  }
}

function latencyChild(
  histogram: Histogram<LatencyLabel>,
  cache: Map<string, Histogram.Internal<LatencyLabel>>,
  route: string,
  node: string,
): Histogram.Internal<LatencyLabel> {
  let child = cache.get(route)
  if (child === undefined) {
    child = histogram.labels({ route, node })
    cache.set(route, child)
  }
  return child
}

/**
 * A gauge whose series are rebuilt wholesale at every scrape. Its values go straight into the list
 * prom-client renders: `set` would hash the label set of each of the ~20 series per node (about half a
 * scrape's time at 1 000 nodes), and rebuilding means a removed node's series are simply not there.
 */
class SnapshotGauge<Label extends string> extends Gauge<Label> {
  #values: SnapshotValue<Label>[] = []

  add(labels: Readonly<Record<Label, string>>, value: number): void {
    this.#values.push({ labels, value })
  }

  clear(): void {
    this.#values = []
  }

  override async get(): Promise<Awaited<ReturnType<Gauge<Label>['get']>>> {
    // super.get runs `collect` (the first gauge's fills them all) and renders no series of its own.
    return { ...(await super.get()), values: this.#values }
  }
}

type SnapshotValue<Label extends string> = Awaited<ReturnType<Gauge<Label>['get']>>['values'][number]

/**
 * The gauges derived from the registry. One `collect` reads `list()` once per scrape and fills every
 * gauge from it.
 */
function registerNodeGauges(registry: Registry, nodes: MetricsNodeSource): void {
  const registers = [registry]
  const gauge = <Label extends string>(name: string, help: string, labelNames: readonly Label[]) =>
    new SnapshotGauge<Label>({ name, help, labelNames, registers })

  // Registered first and rendered first: its collect (once per scrape) fills every gauge below from
  // one `list()`, before the registry reads them.
  const nodesByState = new SnapshotGauge({
    name: 'llm_fleet_nodes',
    help: 'Registered nodes by state',
    labelNames: ['state'],
    registers,
    collect: () => fill(),
  })
  const nodeInfo = gauge('llm_fleet_node_info', 'One per node: its id and runtime kind', [
    'node',
    'node_id',
    'runtime_kind',
  ])
  const nodeState = gauge('llm_fleet_node_state', "1 for the node's current state, 0 for the others", [
    'node',
    'state',
  ])
  const coolingDown = gauge(
    'llm_fleet_node_cooling_down',
    '1 while the node is skipped after repeated upstream failures',
    ['node'],
  )
  const inFlight = gauge('llm_fleet_node_in_flight', 'Requests the coordinator is proxying to the node', [
    'node',
  ])
  const maxConcurrency = gauge('llm_fleet_node_max_concurrency', 'Requests the runtime serves at once', [
    'node',
  ])
  const computeScore = gauge('llm_fleet_node_compute_score', "The agent's compute score", ['node'])
  const lastSeen = gauge(
    'llm_fleet_node_last_seen_timestamp_seconds',
    'When the node last registered or pushed metrics (Unix time)',
    ['node'],
  )
  const runtimeUp = gauge('llm_fleet_node_runtime_up', "1 when the agent's last probe reached the runtime", [
    'node',
  ])
  const activeRequests = gauge(
    'llm_fleet_node_runtime_active_requests',
    'Requests the runtime itself reports as running or waiting',
    ['node'],
  )
  const cpu = gauge('llm_fleet_node_cpu_ratio', 'Host CPU busy, 0 to 1', ['node'])
  const memory = gauge('llm_fleet_node_memory_ratio', 'Host memory used, 0 to 1', ['node'])
  const gpuInfo = gauge('llm_fleet_gpu_info', 'One per GPU: its product name', ['node', 'gpu', 'name'])
  const gpuUtilization = gauge('llm_fleet_gpu_utilization_ratio', 'GPU utilization, 0 to 1', ['node', 'gpu'])
  const vramUsed = gauge('llm_fleet_gpu_memory_used_bytes', 'GPU memory in use', ['node', 'gpu'])
  const vramTotal = gauge('llm_fleet_gpu_memory_total_bytes', 'GPU memory in total', ['node', 'gpu'])
  const temperature = gauge('llm_fleet_gpu_temperature_celsius', 'GPU core temperature', ['node', 'gpu'])
  const power = gauge('llm_fleet_gpu_power_watts', 'GPU board power draw', ['node', 'gpu'])

  const all = [
    nodesByState,
    nodeInfo,
    nodeState,
    coolingDown,
    inFlight,
    maxConcurrency,
    computeScore,
    lastSeen,
    runtimeUp,
    activeRequests,
    cpu,
    memory,
    gpuInfo,
    gpuUtilization,
    vramUsed,
    vramTotal,
    temperature,
    power,
  ]

  const fill = (): void => {
    for (const metric of all) metric.clear()
    const counts = { online: 0, stale: 0, draining: 0 }
    for (const node of nodes.list()) {
      counts[node.state]++
      // Read in the same tick as `list()`: every listed node has its label (the id only satisfies the type).
      const label = nodes.metricsLabel(node.id) ?? node.id
      const labels = { node: label }
      nodeInfo.add({ node: label, node_id: node.id, runtime_kind: node.registration.runtime.kind }, 1)
      for (const state of NODE_STATE_LABELS)
        nodeState.add({ node: label, state }, node.state === state ? 1 : 0)
      coolingDown.add(labels, node.coolingDownUntil === null ? 0 : 1)
      inFlight.add(labels, node.inFlight)
      maxConcurrency.add(labels, node.registration.maxConcurrency)
      computeScore.add(labels, node.computeScore)
      lastSeen.add(labels, Date.parse(node.lastSeenAt) / 1000)
      for (const device of node.registration.gpus) {
        gpuInfo.add({ node: label, gpu: String(device.index), name: device.name }, 1)
      }
      const metrics = node.metrics
      if (metrics === null) continue
      runtimeUp.add(labels, metrics.runtime.up ? 1 : 0)
      activeRequests.add(labels, metrics.activeRequests)
      cpu.add(labels, metrics.cpuUsage / 100)
      memory.add(labels, metrics.memoryUsage / 100)
      for (const device of metrics.gpus) {
        const gpuLabels = { node: label, gpu: String(device.index) }
        // A value the driver does not report is left out, never exported as 0.
        if (device.utilizationPct !== null) gpuUtilization.add(gpuLabels, device.utilizationPct / 100)
        if (device.vramUsedMiB !== null) vramUsed.add(gpuLabels, device.vramUsedMiB * MiB)
        vramTotal.add(gpuLabels, device.vramTotalMiB * MiB)
        if (device.temperatureC !== null) temperature.add(gpuLabels, device.temperatureC)
        if (device.powerDrawW !== null) power.add(gpuLabels, device.powerDrawW)
      }
    }
    for (const state of NODE_STATE_LABELS) nodesByState.add({ state }, counts[state])
  }
}

const NODE_STATE_LABELS = ['online', 'stale', 'draining'] as const
