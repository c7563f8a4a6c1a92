/**
 * The simulated GPU: admits requests into slots (FIFO queue beyond them) and emits their tokens at the
 * speed model's per-request rate. One self-scheduling timer drives every active request, so thousands of
 * concurrent streams cost one timer and one pass over an array per tick, not a timer per token.
 *
 * Slots belong to a runner: a mock Ollama gives each model its own `slots` places, as each Ollama
 * runner has its own semaphore of `numParallel` (ollama/ollama `llm/llama_server.go`,
 * `semaphore.NewWeighted(numParallel)`, acquired per completion; `server/sched.go` hands a request
 * for a loaded model straight to its runner), so one model's queue never waits behind another's.
 * Each runner is a process of its own with its own batch; the GPU splits its time equally between the
 * runners decoding (an assumption about time-slicing, not something Ollama sets), so a request gets
 * its runner's per-request rate over the number of such runners.
 */
import { performance } from 'node:perf_hooks'
import type { GpuProfile } from './profiles.js'
import { admit, perRequestTokensPerS } from './speed-model.js'

/** Tick of the shared generation timer. Tokens due within a tick are written together. */
export const TICK_MS = 10

/** One request's generation, as the scheduler sees it. */
export interface GenerationJob {
  /** Tokens to generate in total (0 finishes right after the prefill). */
  readonly outputTokens: number
  /** Whose places the job takes (a mock Ollama: the model); every job without one shares one runner. */
  readonly runner?: string
  /**
   * This prompt's prefill, ms (speed-scaled), when the runtime models it (prompt-gate.ts); such
   * prefills run one at a time, as the simulation's hosts and llama.cpp's batch do. The profile's fixed
   * `ttftMs`, concurrent, when absent.
   */
  readonly prefillMs?: number
  /** New tokens `[firstIndex, firstIndex + count)` are ready. */
  onTokens(firstIndex: number, count: number): void
  /** All tokens were emitted. Not called after `cancel()`. */
  onDone(): void
}

/** Handle on a submitted job. */
export interface GenerationTicket {
  /** Stops the job, frees its slot or queue place; idempotent, a no-op once done. */
  cancel(): void
}

interface Entry {
  readonly job: GenerationJob
  readonly runner: Runner
  emitted: number
  credit: number
  firstTokenAtMs: number
  state: 'queued' | 'active' | 'finished'
}

/** One runner's places: the requests holding one, and those waiting for one, first in first out. */
interface Runner {
  active: number
  /** Scratch of a tick: whether a request of the runner is past its first token, then its rate. */
  isDecoding: boolean
  ratePerMs: number
  // Consumed from `head`; consumed and cancelled places are cleared to undefined.
  queue: (Entry | undefined)[]
  head: number
  queued: number
}

/** Options of {@link GenerationScheduler}. */
export interface GenerationSchedulerOptions {
  /** The (already speed-scaled) profile. */
  readonly profile: GpuProfile
  /** Monotonic clock in ms; `performance.now` by default. */
  readonly now?: () => number
}

export class GenerationScheduler {
  readonly #profile: GpuProfile
  readonly #now: () => number
  readonly #active = new Set<Entry>()
  readonly #runners = new Map<string, Runner>()
  #queuedCount = 0
  #timer: NodeJS.Timeout | undefined
  #lastTickMs = 0
  /** When the prefill engine is free again (jobs with their own prefillMs queue on it). */
  #prefillFreeAtMs = 0
  #peakCount = 0

  constructor(options: GenerationSchedulerOptions) {
    this.#profile = options.profile
    this.#now = options.now ?? (() => performance.now())
  }

  /** Requests holding a slot (prefilling or decoding). */
  get activeCount(): number {
    return this.#active.size
  }

  /** Requests waiting for a slot. */
  get queuedCount(): number {
    return this.#queuedCount
  }

  /**
   * The most generations held at once (active plus queued) since start or `resetPeak`: what a balancer
   * in front sent this runtime at its busiest, which polling `activeCount` would miss between polls.
   */
  get peakCount(): number {
    return this.#peakCount
  }

  /** Starts the high-water mark again from the generations held now. */
  resetPeak(): void {
    this.#peakCount = this.#active.size + this.#queuedCount
  }

  submit(job: GenerationJob): GenerationTicket {
    const runner = this.#runnerOf(job.runner ?? '')
    const entry: Entry = { job, runner, emitted: 0, credit: 0, firstTokenAtMs: 0, state: 'queued' }
    if (admit(this.#profile, runner.active) === 'slot') this.#activate(entry)
    else {
      runner.queue.push(entry)
      runner.queued++
      this.#queuedCount++
    }
    this.#peakCount = Math.max(this.#peakCount, this.#active.size + this.#queuedCount)
    return { cancel: () => this.#cancel(entry) }
  }

  /** Cancels every job (server shutdown). */
  clear(): void {
    for (const entry of this.#active) entry.state = 'finished'
    for (const runner of this.#runners.values())
      for (let i = runner.head; i < runner.queue.length; i++) {
        const entry = runner.queue[i]
        if (entry) entry.state = 'finished'
      }
    this.#active.clear()
    this.#runners.clear()
    this.#queuedCount = 0
    this.#stopTimer()
  }

  #runnerOf(name: string): Runner {
    let runner = this.#runners.get(name)
    if (runner === undefined) {
      runner = { active: 0, isDecoding: false, ratePerMs: 0, queue: [], head: 0, queued: 0 }
      this.#runners.set(name, runner)
    }
    return runner
  }

  #activate(entry: Entry): void {
    entry.state = 'active'
    entry.runner.active++
    // The prefill produces the first token, so its credit is ready the moment TTFT has passed.
    const now = this.#now()
    const prefillMs = entry.job.prefillMs
    if (prefillMs === undefined) entry.firstTokenAtMs = now + this.#profile.ttftMs
    else {
      entry.firstTokenAtMs = Math.max(now, this.#prefillFreeAtMs) + prefillMs
      this.#prefillFreeAtMs = entry.firstTokenAtMs
    }
    entry.credit = 1
    this.#active.add(entry)
    this.#startTimer()
  }

  #cancel(entry: Entry): void {
    if (entry.state === 'finished') return
    if (entry.state === 'queued') {
      entry.runner.queued--
      this.#queuedCount--
    } else this.#release(entry)
    entry.state = 'finished'
    this.#admitQueued(entry.runner)
  }

  /** An active entry gives its place back. */
  #release(entry: Entry): void {
    this.#active.delete(entry)
    entry.runner.active--
  }

  #admitQueued(runner: Runner): void {
    while (runner.queued > 0 && admit(this.#profile, runner.active) === 'slot') {
      const entry = runner.queue[runner.head]
      runner.queue[runner.head] = undefined
      runner.head++
      if (entry === undefined || entry.state !== 'queued') continue
      runner.queued--
      this.#queuedCount--
      this.#activate(entry)
    }
    // Cancelled entries are skipped lazily; compact once the dead head dominates the array.
    if (runner.head > 1024 && runner.head * 2 > runner.queue.length) {
      runner.queue = runner.queue.slice(runner.head)
      runner.head = 0
    }
    if (runner.queued === 0 && runner.head > 0) {
      runner.queue = []
      runner.head = 0
    }
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return
    this.#lastTickMs = this.#now()
    this.#timer = setTimeout(this.#tick, TICK_MS)
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /**
   * One rate per runner for the whole tick, from the batches as they were during the elapsed interval:
   * the runner's per-request rate at its batch, shared with the other runners decoding on the GPU. A
   * runner whose requests are all before their first token takes no share.
   */
  #setRates(now: number): void {
    for (const runner of this.#runners.values()) runner.isDecoding = false
    for (const entry of this.#active) if (now >= entry.firstTokenAtMs) entry.runner.isDecoding = true
    let decodingRunners = 0
    for (const runner of this.#runners.values()) if (runner.isDecoding) decodingRunners++
    for (const runner of this.#runners.values())
      runner.ratePerMs = runner.isDecoding
        ? perRequestTokensPerS(this.#profile, runner.active) / decodingRunners / 1000
        : 0
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    const now = this.#now()
    const elapsedMs = now - this.#lastTickMs
    this.#lastTickMs = now
    this.#setRates(now)
    let freed: Set<Runner> | undefined
    for (const entry of this.#active) {
      if (now < entry.firstTokenAtMs) continue
      const decodingMs = Math.min(elapsedMs, now - entry.firstTokenAtMs)
      entry.credit += entry.runner.ratePerMs * decodingMs
      const remaining = entry.job.outputTokens - entry.emitted
      const count = Math.min(Math.floor(entry.credit), remaining)
      if (count > 0) {
        entry.credit -= count
        const firstIndex = entry.emitted
        entry.emitted += count
        entry.job.onTokens(firstIndex, count)
      }
      // onTokens may have cancelled the entry (a fault killed the socket).
      if (entry.state === 'active' && entry.emitted >= entry.job.outputTokens) {
        entry.state = 'finished'
        this.#release(entry)
        freed ??= new Set()
        freed.add(entry.runner)
        entry.job.onDone()
      }
    }
    if (freed !== undefined) for (const runner of freed) this.#admitQueued(runner)
    if (this.#active.size > 0) this.#startTimer()
  }
}
