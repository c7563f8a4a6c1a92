/**
 * One child process of the fleet (coordinator, mock runtime or agent): started in its own process
 * group, its output kept as lines, stopped with its whole group so no grandchild (an agent's
 * `nvidia-smi -lms` loop) outlives it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface ManagedProcessOptions {
  /** Short name for messages and log files (`agent-a100`). */
  readonly name: string
  /** The script Node runs (a `dist/main.js`). */
  readonly script: string
  readonly args?: readonly string[]
  /** The child's whole environment. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Where stdout and stderr are appended, or undefined to keep them in memory only. */
  readonly logFile?: string
}

/** Lines of output kept for error messages (the rest goes to the log file, if any). */
const KEPT_LINES = 200
/** SIGTERM first; a process still alive after this gets SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 5000

/** Raised when a process exits before printing the line we waited for. */
export class ProcessExitedError extends Error {
  override readonly name = 'ProcessExitedError'
}

type LineListener = (line: string) => void

export class ManagedProcess {
  readonly name: string
  readonly #child: ChildProcess
  readonly #lines: string[] = []
  readonly #listeners = new Set<LineListener>()
  readonly #logStream: WriteStream | undefined
  #exit: ProcessExit | null = null
  /** Resolves when the process has exited and its output is fully read. */
  readonly exited: Promise<ProcessExit>

  private constructor(options: ManagedProcessOptions) {
    this.name = options.name
    this.#logStream =
      options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' })
    // detached: its own process group, so stop() reaches grandchildren and the terminal's Ctrl-C
    // reaches only the demo, which then stops the fleet in order (agents deregister first).
    this.#child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const streamsDone = [this.#child.stdout, this.#child.stderr].map((stream) => {
      if (stream === null) return Promise.resolve()
      const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
      reader.on('line', (line) => this.#onLine(line))
      return new Promise<void>((resolve) => reader.once('close', resolve))
    })
    const processDone = new Promise<ProcessExit>((resolve) => {
      this.#child.once('exit', (code, signal) => resolve({ code, signal }))
      // spawn failing (ENOENT, EAGAIN) emits 'error' and possibly no 'exit'.
      this.#child.once('error', (error) => {
        this.#onLine(`${this.name}: failed to start: ${error.message}`)
        resolve({ code: null, signal: null })
      })
    })
    this.exited = Promise.all([processDone, ...streamsDone]).then(([exit]) => {
      this.#exit = exit
      this.#logStream?.end()
      return exit
    })
  }

  /** Starts the process; it runs until `stop()` or until it exits by itself. */
  static start(options: ManagedProcessOptions): ManagedProcess {
    return new ManagedProcess(options)
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  /** Null while running. */
  get exit(): ProcessExit | null {
    return this.#exit
  }

  get isRunning(): boolean {
    return this.#exit === null && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** The last lines of output, for an error message. */
  outputTail(lineCount = 30): string {
    return this.#lines.slice(-lineCount).join('\n')
  }

  /** Calls `listener` with every line printed from now on; returns the unsubscribe function. */
  onLine(listener: LineListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Resolves with the first JSON log line (earlier ones included) for which `pick` returns a value.
   * Rejects if the process exits first or `timeoutMs` passes, with the output tail in the message.
   */
  waitForLogLine<T>(pick: (entry: Record<string, unknown>) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let isSettled = false
      const finish = (outcome: () => void) => {
        if (isSettled) return
        isSettled = true
        clearTimeout(timer)
        unsubscribe()
        outcome()
      }
      const check = (line: string) => {
        const entry = parseJsonObject(line)
        const picked = entry === undefined ? undefined : pick(entry)
        if (picked !== undefined) finish(() => resolve(picked))
      }
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new Error(`${this.name}: no expected log line within ${timeoutMs} ms\n${this.outputTail()}`),
          ),
        )
      }, timeoutMs)
      const unsubscribe = this.onLine(check)
      for (const line of this.#lines) check(line)
      void this.exited.then((exit) =>
        finish(() =>
          reject(new ProcessExitedError(`${this.name} exited (${describeExit(exit)})\n${this.outputTail()}`)),
        ),
      )
    })
  }

  /**
   * Sends `signal` to the process group and waits for the exit; SIGKILL after `graceMs`.
   * Safe to call more than once and after the process has exited.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = DEFAULT_STOP_GRACE_MS): Promise<ProcessExit> {
    if (!this.isRunning) return this.exited
    this.#signalGroup(signal)
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Kills the group at once, synchronously: for `process.on('exit')`, where nothing can be awaited. */
  killNow(): void {
    if (this.isRunning) this.#signalGroup('SIGKILL')
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, signal)
    } catch (error) {
      // ESRCH: the group is already gone, which is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
    }
  }

  #onLine(line: string): void {
    this.#lines.push(line)
    if (this.#lines.length > KEPT_LINES) this.#lines.shift()
    this.#logStream?.write(`${line}\n`)
    for (const listener of this.#listeners) listener(line)
  }
}

/** `exit code 1` or `signal SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `signal ${exit.signal}`
  return exit.code === null ? 'failed to start' : `exit code ${exit.code}`
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    // Not every line a process prints is a log line (a stack trace, a warning): not ours to read.
    return undefined
  }
}
