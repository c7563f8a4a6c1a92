/**
 * One seeded run of the balancing benchmark: a workload at a load level on the true world, routed by
 * one compared router. Discrete events on a heap (arrivals, host completions, agent pushes, metric
 * scrapes, throttling, a host leaving and one joining), O(events · log events). The router only
 * learns what a real one of its kind would (see routers/router.ts); the world's factors stay here.
 */
import { seededRandom } from '@llm-fleet/mock-runtime'
import type { Outcome, Router, RouterHost } from './routers/router.js'
import { agentReport } from './world/agent-report.js'
import { capacityPerS } from './world/capacity.js'
import { GPU_BOARDS } from './world/catalog.js'
import { EventHeap } from './world/event-heap.js'
import { FLEET, type HostSpec } from './world/fleet-spec.js'
import { drawWorld, type HiddenFactors } from './world/hidden.js'
import { type HostJob, newJob, SimHost } from './world/host.js'
import { generateWorkload, type WorkloadName } from './world/workloads.js'

/** Agents push every 2 s (the coordinator's DEFAULT_PUSH_INTERVAL_MS). */
export const PUSH_INTERVAL_MS = 2_000
/** Share of the arrival span not measured (queues and caches warm up). */
export const WARMUP_SHARE = 0.1
/** nvidia-smi utilization while anything runs (the share of time any kernel ran). */
const GPU_DUTY_CYCLE_PCT = 97

export interface RunOptions {
  readonly workload: WorkloadName
  /** Arrival rate as a share of the workload's capacity. */
  readonly load: number
  readonly seed: number
  /** Requests to generate (about; sessions make the count vary a little). */
  readonly requests: number
  readonly makeRouter: (random: () => number) => Router
  readonly fleet?: readonly HostSpec[]
  /** Replaces the drawn factors (tests). */
  readonly factors?: readonly HiddenFactors[]
  /** Called with every request as it ends, and the host that served it (tails.ts). */
  readonly onRequestDone?: (job: HostJob, host: HostSpec) => void
}

export interface RunResult {
  readonly capacityPerS: number
  readonly arrivalRatePerS: number
  readonly measured: number
  readonly ttftMs: Float64Array
  readonly e2eMs: Float64Array
  readonly throughput: number
  readonly coldLoadsPer1k: number
  readonly prefixHitRate: number
  readonly shareByClass: Record<string, number>
  /** Every request's host index and completion count (tests). */
  readonly completions: Int32Array
  /** Requests that arrived before this are not measured (WARMUP_SHARE of the arrival span). */
  readonly warmupEndMs: number
}

type Event =
  | { readonly kind: 'host'; readonly host: number; readonly version: number }
  | { readonly kind: 'push'; readonly host: number }
  | { readonly kind: 'scrape' }
  | { readonly kind: 'throttle'; readonly host: number; readonly multiplier: number }
  | { readonly kind: 'join' | 'leave'; readonly host: number }

export function runOnce(options: RunOptions): RunResult {
  const fleet = options.fleet ?? FLEET
  const factors = options.factors ?? drawWorld(fleet, seededRandom(options.seed ^ 0x77aa11))
  const capacity = capacityPerS(fleet, factors, options.workload)
  const rate = capacity * options.load
  const durationMs = (options.requests / rate) * 1000
  const requests = generateWorkload(
    options.workload,
    seededRandom(options.seed ^ 0x3c6ef372),
    rate,
    durationMs,
  )
  const router = options.makeRouter(seededRandom(options.seed ^ 0x1b873593))
  const total = requests.length
  const warmupEndMs = durationMs * WARMUP_SHARE

  const heap = new EventHeap<Event>()
  const versions = new Int32Array(fleet.length)
  const routerHosts: RouterHost[] = fleet.map((spec) => {
    const report = agentReport(spec)
    return { id: spec.name, report, registeredScore: report.computeScore, models: new Set(report.models) }
  })
  const active = fleet.map((spec) => spec.joinsAt === undefined)
  const hostIndex = new Map(fleet.map((spec, index) => [spec.name, index]))
  const ttftMs = new Float64Array(total)
  const e2eMs = new Float64Array(total)
  const hostOf = new Int32Array(total).fill(-1)
  const completions = new Int32Array(total)
  const cachedTokens = new Float64Array(total)
  const coldLoads = new Uint8Array(total)
  let nowMs = 0
  let done = 0
  /** Requests the router held (route returned null), oldest first; offered again after each end. */
  const waiting: number[] = []
  let isWakeDue = false

  // A request held in the router's queue reaches its host later than the client sent it: the client's
  // times count from its arrival, the host's (and what the router learns) from its dispatch.
  const clientArrivalMs = (job: HostJob) => requests[job.id]?.arrivalMs as number
  const onFirstToken = (job: HostJob) => {
    ttftMs[job.id] = job.firstTokenMs - clientArrivalMs(job)
    router.firstToken?.(job.id, job.firstTokenMs)
  }
  const onDone = (job: HostJob) => {
    e2eMs[job.id] = job.doneMs - clientArrivalMs(job)
    isWakeDue = true
    options.onRequestDone?.(job, fleet[hostOf[job.id] as number] as HostSpec)
    completions[job.id] = (completions[job.id] as number) + 1
    cachedTokens[job.id] = job.cachedTokens
    coldLoads[job.id] = job.triggeredLoad ? 1 : 0
    done++
    const outcome: Outcome = {
      requestId: job.id,
      hostId: fleet[hostOf[job.id] as number]?.name as string,
      model: job.model,
      status: 200,
      ttftMs: job.firstTokenMs - job.arrivalMs,
      e2eMs: job.doneMs - job.arrivalMs,
      promptTokens: job.promptTokens,
      outputTokens: job.outputTokens,
      ollama: {
        // From the request's arrival, its wait for a place included: Ollama starts the clock as its
        // handler starts (ollama/ollama server/routes.go ChatHandler, `checkpointStart`) and waits for
        // one of the runner's OLLAMA_NUM_PARALLEL places later, inside `Completion` or `Chat`
        // (llm/llama_server.go, `s.sem.Acquire`), so that wait is in no other field.
        total_duration: ns(job.doneMs - job.arrivalMs),
        load_duration: ns(job.loadWaitMs),
        // The whole prompt, its cached prefix included, as Ollama counts it (llm/llama_server.go
        // `promptEvalCount()` = `cache_n + prompt_n`); the duration is the uncached part's prefill.
        prompt_eval_count: job.promptTokens,
        prompt_eval_duration: ns(job.firstTokenMs - job.prefillStartMs),
        eval_count: job.outputTokens,
        eval_duration: ns(job.doneMs - job.firstTokenMs),
      },
    }
    router.observe(outcome, job.doneMs)
  }
  const hosts = fleet.map(
    (spec, index) => new SimHost(spec, factors[index] as HiddenFactors, onFirstToken, onDone),
  )
  const reschedule = (index: number) => {
    const next = (hosts[index] as SimHost).nextEventMs()
    versions[index] = (versions[index] as number) + 1
    if (Number.isFinite(next))
      heap.push(next, { kind: 'host', host: index, version: versions[index] as number })
  }

  fleet.forEach((spec, index) => {
    if (active[index]) router.addHost(routerHosts[index] as RouterHost, 0)
    if (spec.joinsAt !== undefined) heap.push(spec.joinsAt * durationMs, { kind: 'join', host: index })
    if (spec.leavesAt !== undefined) heap.push(spec.leavesAt * durationMs, { kind: 'leave', host: index })
    const throttle = (factors[index] as HiddenFactors).throttle
    if (throttle !== null) {
      heap.push(throttle.start * durationMs, { kind: 'throttle', host: index, multiplier: throttle.speed })
      heap.push((throttle.start + throttle.length) * durationMs, {
        kind: 'throttle',
        host: index,
        multiplier: 1,
      })
    }
  })
  const pushRandom = seededRandom(options.seed ^ 0x2545f491)
  const lastBusy = new Float64Array(fleet.length)
  const lastPush = new Float64Array(fleet.length)
  if (router.push !== undefined) {
    for (let index = 0; index < fleet.length; index++) {
      heap.push(pushRandom() * PUSH_INTERVAL_MS, { kind: 'push', host: index })
    }
  }
  if (router.scrape !== undefined && router.scrapeIntervalMs !== undefined) heap.push(0, { kind: 'scrape' })

  let nextArrival = 0
  const handle = (event: Event) => {
    switch (event.kind) {
      case 'host':
        if (event.version !== versions[event.host]) return
        ;(hosts[event.host] as SimHost).advanceTo(nowMs)
        reschedule(event.host)
        return
      case 'push': {
        const host = hosts[event.host] as SimHost
        host.advanceTo(nowMs)
        const busy = host.busyMs(nowMs)
        const share = Math.min(
          1,
          (busy - (lastBusy[event.host] as number)) /
            host.units.length /
            Math.max(1, nowMs - (lastPush[event.host] as number)),
        )
        lastBusy[event.host] = busy
        lastPush[event.host] = nowMs
        if (active[event.host]) {
          const gauges = host.gauges(nowMs)
          router.push?.(
            fleet[event.host]?.name as string,
            {
              activeRequests: host.activeCount,
              gpuUtilPct: GPU_DUTY_CYCLE_PCT * share,
              cpuPct: 5 + (100 * share) / (routerHosts[event.host] as RouterHost).report.cpuCores,
              gpuMemoryPct: 100 * host.memoryUsedShare(),
              loadedModels: gauges.loadedModels,
            },
            nowMs,
          )
        }
        reschedule(event.host)
        // After the last arrival nothing is routed any more, unless the router still holds requests:
        // pushes would inform no decision.
        if (nextArrival < total || waiting.length > 0) heap.push(nowMs + PUSH_INTERVAL_MS, event)
        return
      }
      case 'scrape':
        hosts.forEach((host, index) => {
          if (!active[index]) return
          host.advanceTo(nowMs)
          const gauges = host.gauges(nowMs)
          router.scrape?.(fleet[index]?.name as string, gauges, nowMs)
          reschedule(index)
        })
        if (nextArrival < total || waiting.length > 0)
          heap.push(nowMs + (router.scrapeIntervalMs as number), event)
        return
      case 'throttle': {
        const host = hosts[event.host] as SimHost
        host.advanceTo(nowMs)
        host.setSpeedMultiplier(nowMs, event.multiplier)
        reschedule(event.host)
        return
      }
      case 'join':
        active[event.host] = true
        router.addHost(routerHosts[event.host] as RouterHost, nowMs)
        return
      case 'leave':
        active[event.host] = false
        router.removeHost(fleet[event.host]?.name as string, nowMs)
        return
    }
  }

  /** Routes request `index` now; false when the router holds it. */
  const dispatch = (index: number): boolean => {
    const request = requests[index] as (typeof requests)[number]
    const candidates = routerHosts.filter((host, i) => active[i] && host.models.has(request.model))
    if (candidates.length === 0) throw new Error(`no host serves ${request.model}`)
    const chosen = router.route(
      {
        id: index,
        model: request.model,
        promptTokens: request.promptTokens,
        promptBlocks: request.promptBlocks,
      },
      candidates,
      nowMs,
    )
    if (chosen === null) return false
    const target = hostIndex.get(chosen)
    if (target === undefined || !active[target])
      throw new Error(`${router.name} chose ${chosen}, not a candidate`)
    hostOf[index] = target
    const job = newJob({
      id: index,
      model: request.model,
      arrivalMs: nowMs,
      promptTokens: request.promptTokens,
      outputTokens: request.outputTokens,
      promptBlocks: request.promptBlocks,
      answerBlocks: request.answerBlocks,
    })
    ;(hosts[target] as SimHost).submit(job, nowMs)
    reschedule(target)
    return true
  }
  const arrive = (index: number) => {
    if (!dispatch(index)) waiting.push(index)
  }
  /** Offers the held requests again, oldest first; one of a model that stays held rules out the rest. */
  const wake = () => {
    isWakeDue = false
    const stillHeld = new Set<string>()
    let kept = 0
    for (const index of waiting) {
      const model = requests[index]?.model as string
      if (stillHeld.has(model) || !dispatch(index)) {
        stillHeld.add(model)
        waiting[kept++] = index
      }
    }
    waiting.length = kept
  }

  while (done < total) {
    const top = heap.peek()
    const arrivalMs =
      nextArrival < total ? (requests[nextArrival]?.arrivalMs as number) : Number.POSITIVE_INFINITY
    if (top === undefined && nextArrival >= total)
      throw new Error('simulation stalled with requests unfinished')
    if (top !== undefined && top.atMs <= arrivalMs) {
      heap.pop()
      nowMs = top.atMs
      handle(top.payload)
      if ((isWakeDue || top.payload.kind === 'push') && waiting.length > 0) wake()
    } else {
      nowMs = arrivalMs
      arrive(nextArrival++)
    }
  }

  return summarize(
    requests,
    { ttftMs, e2eMs, hostOf, completions, cachedTokens, coldLoads },
    {
      fleet,
      warmupEndMs,
      durationMs,
      capacity,
      rate,
    },
  )
}

function ns(ms: number): number {
  return Math.round(ms * 1e6)
}

interface Recorded {
  readonly ttftMs: Float64Array
  readonly e2eMs: Float64Array
  readonly hostOf: Int32Array
  readonly completions: Int32Array
  readonly cachedTokens: Float64Array
  readonly coldLoads: Uint8Array
}

function summarize(
  requests: readonly { arrivalMs: number; promptTokens: number }[],
  recorded: Recorded,
  run: {
    fleet: readonly HostSpec[]
    warmupEndMs: number
    durationMs: number
    capacity: number
    rate: number
  },
): RunResult {
  const measured: number[] = []
  requests.forEach((request, index) => {
    if (request.arrivalMs >= run.warmupEndMs) measured.push(index)
  })
  const ttft = Float64Array.from(measured, (index) => recorded.ttftMs[index] as number).sort()
  const e2e = Float64Array.from(measured, (index) => recorded.e2eMs[index] as number).sort()
  let prompt = 0
  let cached = 0
  let loads = 0
  let inWindow = 0
  const counts: Record<string, number> = {}
  for (const index of measured) {
    const request = requests[index] as { arrivalMs: number; promptTokens: number }
    prompt += request.promptTokens
    cached += recorded.cachedTokens[index] as number
    loads += recorded.coldLoads[index] as number
    const doneMs = request.arrivalMs + (recorded.e2eMs[index] as number)
    if (doneMs <= run.durationMs) inWindow++
    const board = GPU_BOARDS[(run.fleet[recorded.hostOf[index] as number] as HostSpec).board].id
    counts[board] = (counts[board] ?? 0) + 1
  }
  // Completions of measured requests within the arrival window, per second of that window.
  const windowS = (run.durationMs - run.warmupEndMs) / 1000
  const shareByClass: Record<string, number> = {}
  for (const spec of run.fleet) shareByClass[spec.board] = (counts[spec.board] ?? 0) / measured.length
  return {
    capacityPerS: run.capacity,
    arrivalRatePerS: run.rate,
    measured: measured.length,
    ttftMs: ttft,
    e2eMs: e2e,
    throughput: inWindow / windowS,
    coldLoadsPer1k: (1000 * loads) / measured.length,
    prefixHitRate: prompt > 0 ? cached / prompt : 0,
    shareByClass,
    completions: recorded.completions,
    warmupEndMs: run.warmupEndMs,
  }
}
