/**
 * Live GPU values from one long-running `nvidia-smi --query-gpu=… -lms <interval>` child: nvidia-smi
 * keeps NVML initialised and prints a block of one line per GPU each period, which costs far less CPU
 * than starting nvidia-smi (and NVML) once per sample (numbers in the README and bench/results).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { GpuLiveValues } from '@llm-fleet/types'
import { LIVE_QUERY_FIELDS, parseQueryGpuCsv } from './parse-query-gpu-csv.js'

export type LiveQueryOutcome =
  | { kind: 'ok'; gpus: GpuLiveValues[] }
  | { kind: 'failed'; exitCode: number | null; message: string }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'missing'; message: string }

export interface QueryGpuLoopOptions {
  binary: string
  intervalMs: number
  /** How long to wait for the first block after (re)starting the child. */
  timeoutMs: number
  /** Physical GPUs in the inventory: a block is complete after this many lines. */
  expectedGpuCount: number
  now?: () => number
}

/** A block older than this many periods is stale: the child is stuck even though it is alive. */
const STALE_AFTER_PERIODS = 3

export class QueryGpuLoop {
  readonly #options: Required<QueryGpuLoopOptions>
  #child: ChildProcessByStdio<null, Readable, Readable> | undefined
  #block: string[] = []
  /** The GPU indexes of `#block`'s lines. */
  readonly #blockIndexes = new Set<number>()
  #latest: { gpus: GpuLiveValues[]; atMs: number } | undefined
  #exit: { exitCode: number | null; message: string; missing: boolean } | undefined
  #output: string[] = []
  #waiters: Array<() => void> = []

  constructor(options: QueryGpuLoopOptions) {
    this.#options = { now: Date.now, ...options }
  }

  /** The latest complete block, starting (or restarting) the child when needed. */
  async sample(): Promise<LiveQueryOutcome> {
    if (this.#exit === undefined && this.#child === undefined) {
      this.#start()
      await this.#waitForBlock()
    }
    const exit = this.#exit
    if (exit !== undefined) {
      // Report the failure once; the next sample restarts the child (the driver may be back).
      this.#exit = undefined
      return exit.missing
        ? { kind: 'missing', message: exit.message }
        : { kind: 'failed', exitCode: exit.exitCode, message: exit.message }
    }
    const latest = this.#latest
    const maxAgeMs = this.#options.intervalMs * STALE_AFTER_PERIODS + this.#options.timeoutMs
    if (latest === undefined || this.#options.now() - latest.atMs > maxAgeMs) {
      this.stop()
      return { kind: 'timeout', timeoutMs: this.#options.timeoutMs }
    }
    return { kind: 'ok', gpus: latest.gpus }
  }

  /** Adopts a new period (the coordinator's pushIntervalMs): the child restarts on the next sample. */
  setIntervalMs(intervalMs: number): void {
    if (intervalMs === this.#options.intervalMs) return
    this.#options.intervalMs = intervalMs
    this.stop()
  }

  /** Stops the child; safe to call repeatedly. */
  stop(): void {
    const child = this.#child
    this.#child = undefined
    this.#latest = undefined
    this.#block = []
    this.#blockIndexes.clear()
    if (child !== undefined && child.exitCode === null && child.signalCode === null) killGroup(child)
    this.#wake()
  }

  #start(): void {
    this.#exit = undefined
    this.#latest = undefined
    this.#output = []
    const args = [
      `--query-gpu=${LIVE_QUERY_FIELDS.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(this.#options.intervalMs),
    ]
    // Own process group, as in runNvidiaSmi: stopping it also stops whatever a wrapper script forked.
    const child = spawn(this.#options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    this.#child = child
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(child, line))
    createInterface({ input: child.stderr }).on('line', (line) => this.#remember(line))
    child.on('error', (error: NodeJS.ErrnoException) => {
      this.#onExit(
        child,
        null,
        `${this.#options.binary}: ${error.code ?? error.message}`,
        error.code === 'ENOENT',
      )
    })
    child.on('close', (code) => this.#onExit(child, code, this.#output.join('\n').trim(), code === 127))
  }

  #remember(line: string): void {
    // Keep the last few lines: on failure they are the driver's message (it prints to stdout).
    this.#output.push(line)
    if (this.#output.length > 5) this.#output.shift()
  }

  #onLine(child: ChildProcessByStdio<null, Readable, Readable>, line: string): void {
    if (child !== this.#child || line.trim() === '') return
    const values = parseQueryGpuCsv(line, { fields: LIVE_QUERY_FIELDS })
    if (values.length === 0) {
      // Not a data line: an error message such as "Failed to initialize NVML".
      this.#remember(line)
      return
    }
    // A line for GPU 0, or for a GPU the block already has, starts the next period: the block was
    // short (a GPU fell off the bus and prints an error line instead), and holds the GPUs that answered.
    // Kept open, it would list a GPU twice, which the coordinator refuses.
    const index = values[0]?.index ?? -1
    if (this.#block.length > 0 && (index === 0 || this.#blockIndexes.has(index))) this.#publishBlock()
    this.#block.push(line)
    this.#blockIndexes.add(index)
    if (this.#block.length >= this.#options.expectedGpuCount) this.#publishBlock()
  }

  #publishBlock(): void {
    this.#latest = {
      gpus: parseQueryGpuCsv(this.#block.join('\n'), { fields: LIVE_QUERY_FIELDS }),
      atMs: this.#options.now(),
    }
    this.#block = []
    this.#blockIndexes.clear()
    this.#wake()
  }

  #onExit(
    child: ChildProcessByStdio<null, Readable, Readable>,
    exitCode: number | null,
    message: string,
    missing: boolean,
  ): void {
    if (child !== this.#child) return
    this.#child = undefined
    this.#latest = undefined
    this.#exit = { exitCode, message: message || `nvidia-smi exited with code ${exitCode}`, missing }
    this.#wake()
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  #waitForBlock(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== done)
        resolve()
      }, this.#options.timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.#waiters.push(done)
    })
  }
}

function killGroup(child: ChildProcessByStdio<null, Readable, Readable>): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch (error) {
    // ESRCH: already gone. Anything else: fall back to the child alone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') child.kill('SIGKILL')
  }
}
