/**
 * The discrete-event simulation behind `pnpm bench:balance`: Poisson arrivals, the real `NodeRegistry`
 * building the `NodeView`s, a compared strategy choosing (the real `select` for the coordinator's
 * modes), and each host serving as the mock runtime does (speed-model.ts: continuous batching up to
 * the slot limit with every decoding request at `perRequestTokensPerS(activeCount)`, TTFT holding a
 * slot, FIFO queue beyond). Agents push metrics every interval, so between pushes the balancer sees
 * stale CPU/GPU values and backlog; its own in-flight counts (leases) are exact. Seeded and deterministic.
 */

import { outputLengthTokens, perRequestTokensPerS, seededRandom } from '@llm-fleet/mock-runtime'
import type { AgentMetrics } from '@llm-fleet/types'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import type { Lease } from '../../src/registry/lease.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'
import { busyThresholdsOf, type ComparedStrategy } from './compared-strategies.js'
import { fleetCapacityPerS, pickModel, type SimHost, simulatedRegistration } from './fleet.js'

/** The simulation's epoch, as the registry's clock sees it. */
const EPOCH_MS = 1_800_000_000_000
const NO_EXCLUSIONS: ReadonlySet<string> = new Set()
/** Weights of an 8B model at Q4_K_M, GB, and the KV cache runtimes preallocate per slot at 4k context. */
const WEIGHTS_GB = 4.9
const KV_GB_PER_SLOT = 0.5
/**
 * nvidia-smi's utilization is the share of time any kernel ran: a decoding GPU reads close to 100 %
 * whatever its batch size. The sampler reports that share of the push interval, at this duty cycle.
 */
const GPU_DUTY_CYCLE_PCT = 97
const HOST_MEMORY_PCT = 30
const HOST_BASE_CPU_PCT = 5

export interface SimulationOptions {
  readonly hosts: readonly SimHost[]
  readonly strategy: ComparedStrategy
  /** Arrival rate as a fraction of `fleetCapacityPerS(hosts)`. */
  readonly load: number
  /** Requests measured (after the warm-up). */
  readonly requests: number
  /** Requests sent first and left out of the statistics, so queues start from a steady state. */
  readonly warmupRequests: number
  readonly seed: number
  readonly pushIntervalMs: number
}

export interface SimulationResult {
  readonly strategy: string
  readonly load: number
  readonly arrivalRatePerS: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  readonly ttftP95Ms: number
  /**
   * Completions per second while measured requests arrive (from the first measured arrival to the
   * last): the arrival rate when the fleet keeps up, less when queues grow without bound.
   */
  readonly throughput: number
  /** Share of measured requests per GPU class (0–1). */
  readonly shareByClass: Readonly<Record<string, number>>
  /** Completions per request index (all 1 when every request completed exactly once). */
  readonly completions: readonly number[]
  /** End-to-end latency of every request in arrival order, warm-up included. */
  readonly latenciesMs: readonly number[]
}

interface Job {
  readonly index: number
  readonly arrivalMs: number
  readonly tokens: number
  admittedMs: number
  /** The host's virtual token clock at which this request's last token is out. */
  finishAt: number
  lease: Lease | null
}

interface HostRun {
  readonly host: SimHost
  readonly nodeId: string
  /** Jobs in their prefill, in admission order (one TTFT per host, so also in order of finishing). */
  prefilling: Job[]
  prefillHead: number
  decoding: Job[]
  queue: Job[]
  queueHead: number
  /** Tokens each decoding request has received since the start (all decode at the same rate). */
  virtualTokens: number
  updatedMs: number
  busyMs: number
  busyAtLastPushMs: number
  lastPushMs: number
  nextPushMs: number
  nextEventMs: number
}

interface Workload {
  readonly arrivalsMs: Float64Array
  readonly tokens: Int32Array
  readonly models: readonly string[]
  readonly pushPhases: readonly number[]
}

/** The same arrivals, lengths and models for every strategy at one load (common random numbers). */
function generateWorkload(options: SimulationOptions, ratePerMs: number): Workload {
  const random = seededRandom(options.seed)
  const total = options.warmupRequests + options.requests
  const arrivalsMs = new Float64Array(total)
  const tokens = new Int32Array(total)
  const models: string[] = []
  let time = 0
  for (let i = 0; i < total; i++) {
    time += -Math.log(1 - random()) / ratePerMs
    arrivalsMs[i] = time
    tokens[i] = outputLengthTokens(Math.floor(random() * 4_294_967_296))
    models.push(pickModel(random))
  }
  const pushPhases = options.hosts.map(() => random() * options.pushIntervalMs)
  return { arrivalsMs, tokens, models, pushPhases }
}

export function simulate(options: SimulationOptions): SimulationResult {
  const { hosts, strategy, pushIntervalMs } = options
  const arrivalRatePerS = options.load * fleetCapacityPerS(hosts)
  const workload = generateWorkload(options, arrivalRatePerS / 1000)
  const total = workload.arrivalsMs.length

  let nowMs = 0
  let nodeCount = 0
  const registry = new NodeRegistry({
    clock: () => EPOCH_MS + nowMs,
    ttlMs: 3 * pushIntervalMs,
    maxNodes: hosts.length,
    pushIntervalMs,
    coolDownMs: 30_000,
    log: { info() {}, warn() {} },
    generateId: () => `node-${nodeCount++}`,
  })
  const runs: HostRun[] = hosts.map((host, index) => ({
    host,
    nodeId: registry.register(simulatedRegistration(host, `http://10.0.0.${index + 1}:11434`, 'sim')).agentId,
    prefilling: [],
    prefillHead: 0,
    decoding: [],
    queue: [],
    queueHead: 0,
    virtualTokens: 0,
    updatedMs: 0,
    busyMs: 0,
    busyAtLastPushMs: 0,
    lastPushMs: 0,
    nextPushMs: workload.pushPhases[index] as number,
    nextEventMs: Number.POSITIVE_INFINITY,
  }))
  const runByNodeId = new Map(runs.map((run) => [run.nodeId, run]))
  const state = createBalancerState(seededRandom(options.seed ^ 0x5bd1e995), {
    mode: strategy.mode,
    busy: busyThresholdsOf(strategy),
  })

  const completions = new Array<number>(total).fill(0)
  const latenciesMs = new Float64Array(total)
  const ttftsMs = new Float64Array(total)
  const hostOf = new Int32Array(total)
  let completed = 0
  let nextArrival = 0

  const slotsInUse = (run: HostRun) => run.prefilling.length - run.prefillHead + run.decoding.length
  const ratePerMs = (run: HostRun) => perRequestTokensPerS(run.host.profile, slotsInUse(run)) / 1000

  /** Moves a host's clocks to `nowMs` under the batch it had since its last change. */
  const advance = (run: HostRun) => {
    const elapsedMs = nowMs - run.updatedMs
    if (elapsedMs <= 0) return
    if (run.decoding.length > 0) run.virtualTokens += ratePerMs(run) * elapsedMs
    if (slotsInUse(run) > 0) run.busyMs += elapsedMs
    run.updatedMs = nowMs
  }

  const schedule = (run: HostRun) => {
    let next = Number.POSITIVE_INFINITY
    const prefill = run.prefilling[run.prefillHead]
    if (prefill !== undefined) next = prefill.admittedMs + run.host.profile.ttftMs
    if (run.decoding.length > 0) {
      let soonest = Number.POSITIVE_INFINITY
      for (const job of run.decoding) if (job.finishAt < soonest) soonest = job.finishAt
      next = Math.min(next, run.updatedMs + Math.max(0, soonest - run.virtualTokens) / ratePerMs(run))
    }
    run.nextEventMs = next
  }

  const admit = (run: HostRun, job: Job) => {
    job.admittedMs = nowMs
    ttftsMs[job.index] = nowMs + run.host.profile.ttftMs - job.arrivalMs
    run.prefilling.push(job)
  }

  const complete = (job: Job) => {
    job.lease?.release()
    job.lease = null
    completions[job.index] = (completions[job.index] as number) + 1
    latenciesMs[job.index] = nowMs - job.arrivalMs
    completed++
  }

  const step = (run: HostRun) => {
    advance(run)
    // Prefills due now: the first token is out, the rest decode in the shared batch.
    for (;;) {
      const job = run.prefilling[run.prefillHead]
      if (job === undefined || job.admittedMs + run.host.profile.ttftMs > nowMs) break
      run.prefillHead++
      if (job.tokens <= 1) complete(job)
      else {
        job.finishAt = run.virtualTokens + job.tokens - 1
        run.decoding.push(job)
      }
    }
    if (run.prefillHead > 256 && run.prefillHead * 2 > run.prefilling.length) {
      run.prefilling = run.prefilling.slice(run.prefillHead)
      run.prefillHead = 0
    }
    // Relative tolerance: the finish time was computed from the same clock, up to rounding.
    const doneAt = run.virtualTokens + 1e-9 * Math.max(1, run.virtualTokens)
    const stillDecoding: Job[] = []
    for (const job of run.decoding) {
      if (job.finishAt <= doneAt) complete(job)
      else stillDecoding.push(job)
    }
    run.decoding = stillDecoding
    while (run.queueHead < run.queue.length && slotsInUse(run) < run.host.profile.slots) {
      admit(run, run.queue[run.queueHead++] as Job)
    }
    if (run.queueHead > 1024 && run.queueHead * 2 > run.queue.length) {
      run.queue = run.queue.slice(run.queueHead)
      run.queueHead = 0
    }
    schedule(run)
  }

  const arrive = (index: number) => {
    const model = workload.models[index] as string
    const selection = strategy.choose(
      registry.snapshot(),
      { model, apiKind: 'openai', now: EPOCH_MS + nowMs, exclude: NO_EXCLUSIONS },
      state,
    )
    if (selection.kind !== 'selected')
      throw new Error(`${strategy.name}: no node for ${model} (${selection.cause})`)
    const run = runByNodeId.get(selection.node.id)
    if (run === undefined) throw new Error(`unknown node ${selection.node.id}`)
    const job: Job = {
      index,
      arrivalMs: nowMs,
      tokens: workload.tokens[index] as number,
      admittedMs: 0,
      finishAt: 0,
      lease: registry.acquire(run.nodeId),
    }
    hostOf[index] = runs.indexOf(run)
    advance(run)
    if (slotsInUse(run) < run.host.profile.slots) admit(run, job)
    else run.queue.push(job)
    schedule(run)
  }

  const push = (run: HostRun) => {
    advance(run)
    const intervalMs = Math.max(1, nowMs - run.lastPushMs)
    const busyShare = Math.min(1, (run.busyMs - run.busyAtLastPushMs) / intervalMs)
    const { host } = run
    const metrics: AgentMetrics = {
      agentId: run.nodeId,
      // One runner thread spins while the GPU works; the host is otherwise idle.
      cpuUsage: HOST_BASE_CPU_PCT + (100 * busyShare) / host.cpuCores,
      memoryUsage: HOST_MEMORY_PCT,
      activeRequests: slotsInUse(run) + run.queue.length - run.queueHead,
      avgResponseTimeMs: null,
      timestamp: new Date(EPOCH_MS + nowMs).toISOString(),
      gpus: [],
      gpuUsage: GPU_DUTY_CYCLE_PCT * busyShare,
      // Runtimes allocate the KV cache of every slot when they load the model: constant under load.
      gpuMemoryUsage: Math.min(
        100,
        (100 * (WEIGHTS_GB + KV_GB_PER_SLOT * host.profile.slots)) / host.vramGiB,
      ),
      runtime: { up: true, models: [...host.models], loadedModels: [...host.models] },
    }
    const outcome = registry.ingestMetrics(run.nodeId, metrics)
    if (outcome.kind !== 'ok') throw new Error(`metrics push refused: ${outcome.kind}`)
    run.busyAtLastPushMs = run.busyMs
    run.lastPushMs = nowMs
    run.nextPushMs = nowMs + pushIntervalMs
  }

  while (completed < total) {
    let soonestHost: HostRun | undefined
    let soonestPush: HostRun | undefined
    for (const run of runs) {
      if (soonestHost === undefined || run.nextEventMs < soonestHost.nextEventMs) soonestHost = run
      if (soonestPush === undefined || run.nextPushMs < soonestPush.nextPushMs) soonestPush = run
    }
    if (soonestHost === undefined || soonestPush === undefined) throw new Error('a fleet needs hosts')
    const arrivalMs =
      nextArrival < total ? (workload.arrivalsMs[nextArrival] as number) : Number.POSITIVE_INFINITY
    if (soonestHost.nextEventMs <= arrivalMs && soonestHost.nextEventMs <= soonestPush.nextPushMs) {
      nowMs = soonestHost.nextEventMs
      step(soonestHost)
    } else if (soonestPush.nextPushMs <= arrivalMs) {
      nowMs = soonestPush.nextPushMs
      push(soonestPush)
    } else {
      nowMs = arrivalMs
      arrive(nextArrival++)
    }
  }

  return summarize(options, strategy.name, arrivalRatePerS, {
    arrivalsMs: workload.arrivalsMs,
    latenciesMs,
    ttftsMs,
    hostOf,
    completions,
  })
}

interface Outcomes {
  readonly arrivalsMs: Float64Array
  readonly latenciesMs: Float64Array
  readonly ttftsMs: Float64Array
  readonly hostOf: Int32Array
  readonly completions: number[]
}

function summarize(
  options: SimulationOptions,
  name: string,
  arrivalRatePerS: number,
  outcomes: Outcomes,
): SimulationResult {
  const first = options.warmupRequests
  const latencies = Array.from(outcomes.latenciesMs.subarray(first)).sort((a, b) => a - b)
  const ttfts = Array.from(outcomes.ttftsMs.subarray(first)).sort((a, b) => a - b)
  const windowStartMs = outcomes.arrivalsMs[first] as number
  const windowEndMs = outcomes.arrivalsMs[outcomes.arrivalsMs.length - 1] as number
  let completedInWindow = 0
  for (let i = 0; i < outcomes.latenciesMs.length; i++) {
    const doneMs = (outcomes.arrivalsMs[i] as number) + (outcomes.latenciesMs[i] as number)
    if (doneMs >= windowStartMs && doneMs <= windowEndMs) completedInWindow++
  }
  const counts: Record<string, number> = {}
  for (let i = first; i < outcomes.latenciesMs.length; i++) {
    const gpuClass = (options.hosts[outcomes.hostOf[i] as number] as SimHost).gpuClass
    counts[gpuClass] = (counts[gpuClass] ?? 0) + 1
  }
  const shareByClass: Record<string, number> = {}
  for (const host of options.hosts)
    shareByClass[host.gpuClass] = (counts[host.gpuClass] ?? 0) / latencies.length
  return {
    strategy: name,
    load: options.load,
    arrivalRatePerS,
    meanMs: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    ttftP95Ms: percentile(ttfts, 0.95),
    throughput: (completedInWindow / (windowEndMs - windowStartMs)) * 1000,
    shareByClass,
    completions: outcomes.completions,
    latenciesMs: Array.from(outcomes.latenciesMs),
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)))
  return sorted[rank - 1] as number
}
