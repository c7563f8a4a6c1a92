/**
 * One simulated GPU host as it really behaves (the world, not the balancer's model of it): serving
 * units (one GPU or one tensor-parallel group each) with resident models (Ollama's loading and
 * eviction rules), each model a runner with its own places, FIFO queue and continuous decode batch
 * (the runners split the GPU's time), a KV prefix cache, and one prefill at a time. Pure: time is
 * passed in, and the engine asks `nextEventMs()` when to call `advanceTo()` again.
 */

import { PrefixCache } from '@llm-fleet/mock-runtime'
import {
  BLOCK_TOKENS,
  DECODE_BANDWIDTH_EFFICIENCY,
  GPU_BOARDS,
  KEEP_ALIVE_MS,
  kvBytesPerToken,
  MODELS_PER_GPU,
  modelSpec,
  PER_TOKEN_OVERHEAD_MS,
  PREFILL_FLOPS_EFFICIENCY,
  RUNTIME_OVERHEAD_GIB,
  TP_EFFICIENCY,
} from './catalog.js'
import type { HostSpec } from './fleet-spec.js'
import { unitsOf, unitVramGiB } from './fleet-spec.js'
import type { HiddenFactors } from './hidden.js'

const GIB = 1024 ** 3

export interface HostJob {
  readonly id: number
  readonly model: string
  readonly arrivalMs: number
  readonly promptTokens: number
  readonly outputTokens: number
  /** Chain ids of the prompt's full blocks. */
  readonly promptBlocks: Int32Array
  /** Chain ids of the blocks the answer completes (cached once the request ends). */
  readonly answerBlocks: Int32Array
  // Filled in by the host.
  unit: number
  admittedMs: number
  loadWaitMs: number
  triggeredLoad: boolean
  cachedTokens: number
  prefillStartMs: number
  firstTokenMs: number
  doneMs: number
  /** Decode work in ms of single-stream unthrottled decoding, and the unit clock value it ends at. */
  finishV: number
}

/** The fields of a job the host fills in as it runs it. */
type JobProgress =
  | 'unit'
  | 'admittedMs'
  | 'loadWaitMs'
  | 'triggeredLoad'
  | 'cachedTokens'
  | 'prefillStartMs'
  | 'firstTokenMs'
  | 'doneMs'
  | 'finishV'

/** A job as it arrives at a host, nothing done yet. */
export function newJob(request: Omit<HostJob, JobProgress>): HostJob {
  return {
    ...request,
    unit: -1,
    admittedMs: 0,
    loadWaitMs: 0,
    triggeredLoad: false,
    cachedTokens: 0,
    prefillStartMs: 0,
    firstTokenMs: 0,
    doneMs: 0,
    finishV: 0,
  }
}

/** What a host's metrics endpoint shows (vLLM `num_requests_running/waiting`, `kv_cache_usage_perc`). */
export interface HostGauges {
  readonly running: number
  readonly waiting: number
  readonly kvUsage: number
  readonly loadedModels: readonly string[]
}

interface Resident {
  readonly model: string
  readyMs: number
  refCount: number
  lastUsedMs: number
}

/** Speeds of one unit for one model, before throttling. */
export interface UnitSpeeds {
  /** Single-stream decode, tokens/ms. */
  readonly decodePerMs: number
  readonly prefillPerMs: number
}

export function unitSpeeds(spec: HostSpec, factors: HiddenFactors, modelId: string): UnitSpeeds {
  const board = GPU_BOARDS[spec.board]
  const model = modelSpec(modelId)
  const scale = 1 + TP_EFFICIENCY * (spec.gpusPerUnit - 1)
  const weightsMs = (model.sizeGB / (board.bandwidthGBs * scale * DECODE_BANDWIDTH_EFFICIENCY)) * 1000
  const tokenMs = (weightsMs + PER_TOKEN_OVERHEAD_MS) / factors.decode
  const prefillPerS = (board.fp16Tflops * 1e12 * scale * PREFILL_FLOPS_EFFICIENCY) / (2 * model.params)
  return { decodePerMs: 1 / tokenMs, prefillPerMs: (prefillPerS / 1000) * factors.prefill }
}

/** One model's requests waiting for a place in its runner on a unit, first in first out. */
interface ModelQueue {
  readonly jobs: HostJob[]
  head: number
  /** The model's requests holding a place (its runner's semaphore). */
  used: number
}

/**
 * One runner's decode batch on a unit. Each Ollama model is its own runner process (the scheduler's
 * `load` starts one through `newServerFn`; `llm/llama_server.go` `startProcess`), so models never
 * share a batch. How the GPU time-slices between processes is not Ollama's to set: the world assumes
 * an equal share for each runner decoding (`vRate`).
 */
interface DecodeBatch {
  /** Decoding jobs, a min-heap on finishV. */
  readonly jobs: HostJob[]
  /** The batch's virtual clock: ms of single-stream unthrottled decoding each of its jobs has received. */
  v: number
}

class Unit {
  /** Per model: Ollama gives each loaded runner its own OLLAMA_NUM_PARALLEL places (see `admit`). */
  readonly queues = new Map<string, ModelQueue>()
  /** Requests in every model's queue. */
  queued = 0
  readonly waitingForModel: HostJob[] = []
  readonly prefillQueue: HostJob[] = []
  prefillHead = 0
  prefilling: HostJob | null = null
  prefillEndMs = Number.POSITIVE_INFINITY
  /** Per model: its runner's decode batch (`DecodeBatch`). */
  readonly batches = new Map<string, DecodeBatch>()
  /** Batches with a job decoding: they split the GPU's time. */
  decodingBatches = 0
  /** When the batches' clocks last moved. */
  vUpdatedMs = 0
  slotsUsed = 0
  readonly resident = new Map<string, Resident>()
  loading: Resident | null = null
  readonly cache: PrefixCache<number>
  busyMs = 0

  constructor(readonly vramBytes: number) {
    this.cache = new PrefixCache<number>(vramBytes - RUNTIME_OVERHEAD_GIB * GIB, (model) => {
      return kvBytesPerToken(modelSpec(model)) * BLOCK_TOKENS
    })
  }

  residentBytes(): number {
    let sum = 0
    for (const entry of this.resident.values()) sum += modelSpec(entry.model).sizeGB * 1e9
    return sum
  }

  /** The model's queue for places on this unit, made on first use. */
  queueOf(model: string): ModelQueue {
    let queue = this.queues.get(model)
    if (queue === undefined) {
      queue = { jobs: [], head: 0, used: 0 }
      this.queues.set(model, queue)
    }
    return queue
  }

  /** The model's decode batch on this unit, made on first use. */
  batchOf(model: string): DecodeBatch {
    let batch = this.batches.get(model)
    if (batch === undefined) {
      batch = { jobs: [], v: 0 }
      this.batches.set(model, batch)
    }
    return batch
  }

  resizeCache(): void {
    this.cache.resize(this.vramBytes - RUNTIME_OVERHEAD_GIB * GIB - this.residentBytes())
  }
}

export class SimHost {
  readonly units: Unit[]
  private speedMultiplier = 1
  private readonly speeds = new Map<string, UnitSpeeds>()
  private readonly maxLoaded: number
  /** Scratch of `nextDecodeEndMs`. */
  private firstBatch: DecodeBatch | undefined
  coldLoads = 0

  constructor(
    readonly spec: HostSpec,
    private readonly factors: HiddenFactors,
    private readonly onFirstToken: (job: HostJob) => void,
    private readonly onDone: (job: HostJob) => void,
  ) {
    this.units = Array.from({ length: unitsOf(spec) }, () => new Unit(unitVramGiB(spec) * GIB))
    this.maxLoaded = MODELS_PER_GPU * spec.gpusPerUnit
  }

  private speedsOf(model: string): UnitSpeeds {
    let speeds = this.speeds.get(model)
    if (speeds === undefined) {
      speeds = unitSpeeds(this.spec, this.factors, model)
      this.speeds.set(model, speeds)
    }
    return speeds
  }

  /** Throttling starts or ends: decode clocks move under the old rate first. */
  setSpeedMultiplier(nowMs: number, multiplier: number): void {
    for (const unit of this.units) this.advanceClock(unit, nowMs)
    this.speedMultiplier = multiplier
  }

  /**
   * A request reaches the host: its local dispatcher (one runtime per unit behind it) picks the unit
   * where the model's own runner has the least work per place, counting a unit without the model as
   * one full set of places busier, so a second copy of a model is loaded only when the units holding
   * it are saturated; among equals, the unit with the least work of every model.
   */
  submit(job: HostJob, nowMs: number): void {
    let best = -1
    let bestLoad = Number.POSITIVE_INFINITY
    let bestTotal = Number.POSITIVE_INFINITY
    for (let i = 0; i < this.units.length; i++) {
      const unit = this.units[i] as Unit
      const holds = unit.resident.has(job.model) || unit.loading?.model === job.model
      const queue = unit.queues.get(job.model)
      const own = queue === undefined ? 0 : queue.used + queue.jobs.length - queue.head
      const load = own / this.spec.slotsPerUnit + (holds ? 0 : 1)
      const total = unit.slotsUsed + unit.queued
      if (load < bestLoad || (load === bestLoad && total < bestTotal)) {
        bestLoad = load
        bestTotal = total
        best = i
      }
    }
    job.unit = best
    const unit = this.units[best] as Unit
    unit.queueOf(job.model).jobs.push(job)
    unit.queued++
    this.advanceTo(nowMs)
  }

  nextEventMs(): number {
    let next = Number.POSITIVE_INFINITY
    for (const unit of this.units) {
      if (unit.loading !== null) next = Math.min(next, unit.loading.readyMs)
      next = Math.min(next, unit.prefillEndMs, this.nextDecodeEndMs(unit))
    }
    return next
  }

  /** Runs every unit forward to `nowMs`, processing what is due. */
  advanceTo(nowMs: number): void {
    for (const unit of this.units) this.step(unit, nowMs)
  }

  gauges(nowMs: number): HostGauges {
    let running = 0
    let waiting = 0
    let kvBytes = 0
    let kvBudget = 0
    const loaded = new Set<string>()
    for (const unit of this.units) {
      this.advanceClock(unit, nowMs)
      running += unit.slotsUsed
      waiting += unit.queued
      kvBudget += unit.cache.capacity
      for (const batch of unit.batches.values())
        for (const job of batch.jobs) {
          kvBytes += (job.promptTokens + job.outputTokens / 2) * kvBytesPerToken(modelSpec(job.model))
        }
      for (const [model, entry] of unit.resident) if (entry.readyMs <= nowMs) loaded.add(model)
    }
    return {
      running,
      waiting,
      kvUsage: kvBudget > 0 ? Math.min(1, kvBytes / kvBudget) : 1,
      loadedModels: [...loaded].sort(),
    }
  }

  /** Unit-milliseconds with any request in a slot since the start (nvidia-smi's "utilization" source). */
  busyMs(nowMs: number): number {
    let busy = 0
    for (const unit of this.units) {
      this.advanceClock(unit, nowMs)
      busy += unit.busyMs
    }
    return busy
  }

  /** VRAM in use (weights and prefix cache) over total VRAM, 0–1. */
  memoryUsedShare(): number {
    let used = 0
    let total = 0
    for (const unit of this.units) {
      used += unit.residentBytes() + unit.cache.bytes + RUNTIME_OVERHEAD_GIB * GIB
      total += unit.vramBytes
    }
    return Math.min(1, used / total)
  }

  /** Requests on the host now (queued or in a slot). */
  get activeCount(): number {
    let count = 0
    for (const unit of this.units) count += unit.slotsUsed + unit.queued
    return count
  }

  /** How fast a batch's clock runs: its batch of `size` at n^(α−1), in its share of the GPU's time. */
  private vRate(unit: Unit, size: number): number {
    return (this.speedMultiplier * size ** (this.factors.batchingExponent - 1)) / unit.decodingBatches
  }

  private advanceClock(unit: Unit, nowMs: number): void {
    const elapsed = nowMs - unit.vUpdatedMs
    if (elapsed <= 0) return
    for (const batch of unit.batches.values())
      if (batch.jobs.length > 0) batch.v += this.vRate(unit, batch.jobs.length) * elapsed
    if (unit.slotsUsed > 0) unit.busyMs += elapsed
    unit.vUpdatedMs = nowMs
  }

  /**
   * When the unit's first decoding job finishes at the present rates (+∞: none decodes); its batch is
   * left in `firstBatch`, so the pass allocates nothing.
   */
  private nextDecodeEndMs(unit: Unit): number {
    let firstMs = Number.POSITIVE_INFINITY
    for (const batch of unit.batches.values()) {
      const head = batch.jobs[0]
      if (head === undefined) continue
      const atMs = unit.vUpdatedMs + Math.max(0, head.finishV - batch.v) / this.vRate(unit, batch.jobs.length)
      if (atMs < firstMs) {
        firstMs = atMs
        this.firstBatch = batch
      }
    }
    return firstMs
  }

  private step(unit: Unit, nowMs: number): void {
    // Decode completions first, in finishing order, each at its own time (the batch shrinks after each).
    for (;;) {
      const atMs = this.nextDecodeEndMs(unit)
      if (atMs > nowMs + 1e-9) break
      const batch = this.firstBatch as DecodeBatch
      this.advanceClock(unit, atMs)
      const head = batch.jobs[0] as HostJob
      heapPop(batch.jobs)
      if (batch.jobs.length === 0) unit.decodingBatches--
      this.finish(unit, head, atMs)
    }
    this.advanceClock(unit, nowMs)
    if (unit.loading !== null && unit.loading.readyMs <= nowMs) {
      unit.loading = null
      this.releaseWaiting(unit, nowMs)
    }
    if (unit.prefilling !== null && unit.prefillEndMs <= nowMs) this.endPrefill(unit, unit.prefilling)
    this.admit(unit, nowMs)
    this.startPrefill(unit, nowMs)
  }

  private finish(unit: Unit, job: HostJob, atMs: number): void {
    job.doneMs = atMs
    unit.slotsUsed--
    unit.queueOf(job.model).used--
    const entry = unit.resident.get(job.model)
    if (entry !== undefined) {
      entry.refCount--
      entry.lastUsedMs = atMs
    }
    if (unit.resident.has(job.model)) unit.cache.insert(job.model, job.answerBlocks)
    this.onDone(job)
  }

  private endPrefill(unit: Unit, job: HostJob): void {
    const atMs = unit.prefillEndMs
    unit.prefilling = null
    unit.prefillEndMs = Number.POSITIVE_INFINITY
    job.firstTokenMs = atMs
    unit.cache.insert(job.model, job.promptBlocks)
    this.onFirstToken(job)
    if (job.outputTokens <= 1) {
      this.advanceClock(unit, atMs)
      this.finish(unit, job, atMs)
      return
    }
    this.advanceClock(unit, atMs)
    const batch = unit.batchOf(job.model)
    if (batch.jobs.length === 0) unit.decodingBatches++
    job.finishV = batch.v + (job.outputTokens - 1) / this.speedsOf(job.model).decodePerMs
    heapPush(batch.jobs, job)
  }

  /**
   * Each model's requests, first in first out, into its own places: Ollama's scheduler hands a request
   * for a loaded model straight to that model's runner (server/sched.go `getRunner`,
   * `useLoadedRunner`), and the runner admits `numParallel` at once (llm/llama_server.go: a
   * `semaphore.NewWeighted(numParallel)` acquired per completion), so a model's queue never waits
   * behind another model's. A job whose model is not ready waits for its load holding its place.
   */
  private admit(unit: Unit, nowMs: number): void {
    const slots = this.spec.slotsPerUnit
    for (const queue of unit.queues.values()) {
      while (queue.head < queue.jobs.length && queue.used < slots) {
        const job = queue.jobs[queue.head++] as HostJob
        queue.used++
        unit.queued--
        unit.slotsUsed++
        this.start(unit, job, nowMs)
      }
      if (queue.head === queue.jobs.length) {
        queue.jobs.length = 0
        queue.head = 0
      } else if (queue.head > 512 && queue.head * 2 > queue.jobs.length) {
        queue.jobs.splice(0, queue.head)
        queue.head = 0
      }
    }
    this.startLoads(unit, nowMs)
  }

  /** A job took a place: to the prefill queue if its model is ready, else to wait for the load. */
  private start(unit: Unit, job: HostJob, nowMs: number): void {
    job.admittedMs = nowMs
    this.expireIdle(unit, nowMs)
    const entry = unit.resident.get(job.model)
    if (entry !== undefined && entry.readyMs <= nowMs) {
      entry.refCount++
      entry.lastUsedMs = nowMs
      unit.prefillQueue.push(job)
    } else {
      unit.waitingForModel.push(job)
    }
  }

  /** Ollama's scheduler: one load at a time; make room by unloading idle runners (server/sched.go). */
  private startLoads(unit: Unit, nowMs: number): void {
    if (unit.loading !== null) return
    const job = unit.waitingForModel.find((candidate) => !unit.resident.has(candidate.model))
    if (job === undefined) return
    const size = modelSpec(job.model).sizeGB * 1e9
    const usable = unit.vramBytes - RUNTIME_OVERHEAD_GIB * GIB
    while (unit.resident.size >= this.maxLoaded || unit.residentBytes() + size > usable) {
      const victim = runnerToUnload(unit)
      // Every runner is busy: the load waits for one to go idle (re-tried at each completion).
      if (victim === undefined) return
      unit.resident.delete(victim.model)
      unit.cache.dropModel(victim.model)
    }
    const loadMs = (modelSpec(job.model).sizeGB / this.factors.loadGBs) * 1000
    const entry: Resident = { model: job.model, readyMs: nowMs + loadMs, refCount: 0, lastUsedMs: nowMs }
    unit.resident.set(job.model, entry)
    unit.loading = entry
    unit.resizeCache()
    job.triggeredLoad = true
    this.coldLoads++
  }

  private releaseWaiting(unit: Unit, nowMs: number): void {
    const still: HostJob[] = []
    for (const job of unit.waitingForModel) {
      const entry = unit.resident.get(job.model)
      if (entry !== undefined && entry.readyMs <= nowMs) {
        entry.refCount++
        entry.lastUsedMs = nowMs
        job.loadWaitMs = nowMs - job.admittedMs
        unit.prefillQueue.push(job)
      } else still.push(job)
    }
    unit.waitingForModel.length = 0
    unit.waitingForModel.push(...still)
  }

  /** OLLAMA_KEEP_ALIVE: an idle runner unloads once its keep-alive has passed. */
  private expireIdle(unit: Unit, nowMs: number): void {
    for (const [model, entry] of unit.resident) {
      if (entry === unit.loading || entry.refCount > 0) continue
      if (nowMs - entry.lastUsedMs > KEEP_ALIVE_MS) {
        unit.resident.delete(model)
        unit.cache.dropModel(model)
        unit.resizeCache()
      }
    }
  }

  private startPrefill(unit: Unit, nowMs: number): void {
    if (unit.prefilling !== null || unit.prefillHead >= unit.prefillQueue.length) {
      this.startLoads(unit, nowMs)
      return
    }
    const job = unit.prefillQueue[unit.prefillHead++] as HostJob
    if (unit.prefillHead > 512 && unit.prefillHead * 2 > unit.prefillQueue.length) {
      unit.prefillQueue.splice(0, unit.prefillHead)
      unit.prefillHead = 0
    }
    const hitBlocks = unit.cache.match(job.model, job.promptBlocks)
    // The last prompt token is always computed, so a full hit still prefills one block.
    job.cachedTokens = Math.min(hitBlocks * BLOCK_TOKENS, Math.max(0, job.promptTokens - 1))
    const uncached = job.promptTokens - job.cachedTokens
    const prefillMs = uncached / (this.speedsOf(job.model).prefillPerMs * this.speedMultiplier)
    job.prefillStartMs = nowMs
    unit.prefilling = job
    unit.prefillEndMs = nowMs + prefillMs
    this.startLoads(unit, nowMs)
  }
}

/**
 * server/sched.go `findRunnerToUnload`: runners sorted by keep-alive duration, then by model name
 * (`ByDurationAndName`); the first idle one. Every runner here has the default keep-alive, so the
 * order is by name: Ollama does not evict the least recently used model.
 */
function runnerToUnload(unit: Unit): Resident | undefined {
  const sorted = [...unit.resident.values()].sort((a, b) =>
    a.model < b.model ? -1 : a.model > b.model ? 1 : 0,
  )
  return sorted.find((entry) => entry.refCount === 0 && entry !== unit.loading)
}

function heapPush(heap: HostJob[], job: HostJob): void {
  heap.push(job)
  let index = heap.length - 1
  while (index > 0) {
    const parent = (index - 1) >> 1
    if ((heap[parent] as HostJob).finishV <= job.finishV) break
    heap[index] = heap[parent] as HostJob
    index = parent
  }
  heap[index] = job
}

function heapPop(heap: HostJob[]): void {
  const last = heap.pop()
  if (last === undefined || heap.length === 0) return
  let index = 0
  for (;;) {
    const left = 2 * index + 1
    if (left >= heap.length) break
    const right = left + 1
    const child =
      right < heap.length && (heap[right] as HostJob).finishV < (heap[left] as HostJob).finishV ? right : left
    if ((heap[child] as HostJob).finishV >= last.finishV) break
    heap[index] = heap[child] as HostJob
    index = child
  }
  heap[index] = last
}
