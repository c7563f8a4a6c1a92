/**
 * The processes a soak run drives: the built coordinator (`dist/main.js`) and a mock fleet, each a child
 * process on 127.0.0.1, plus RSS and CPU readings of a process from /proc (Linux).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const COORDINATOR_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const MOCK_FLEET = fileURLToPath(new URL('./mock-fleet.ts', import.meta.url))
const BACKGROUND_STREAMS = fileURLToPath(new URL('./background-streams.ts', import.meta.url))
const CLOCK_TICKS_PER_S = 100

export interface ChildHandle {
  readonly child: ChildProcess
  /** Resident set size now, MiB. */
  rssMiB(): number
  /** User + system CPU time so far, seconds. */
  cpuSeconds(): number
  stop(): Promise<void>
}

export interface CoordinatorHandle extends ChildHandle {
  readonly url: string
}

/** A port free a moment ago on 127.0.0.1 (the coordinator logs at warn, so it cannot tell us its own). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export async function startCoordinator(env: Record<string, string>): Promise<CoordinatorHandle> {
  const port = await freePort()
  const child = spawn(process.execPath, [COORDINATOR_MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const response = await fetch(`${url}/healthz`)
      if (response.ok) break
    } catch (error) {
      if (Date.now() > deadline) throw new Error('the coordinator did not start', { cause: error })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { url, ...handle(child) }
}

/** Starts `count` wide mock runtimes in one child process; resolves with their URLs. */
export async function startMockFleet(
  count: number,
  tokensPerS: number,
  model: string,
): Promise<ChildHandle & { urls: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MOCK_FLEET,
      '--count',
      String(count),
      '--tokens-per-s',
      String(tokensPerS),
      '--model',
      model,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  if (child.stdout === null) throw new Error('no stdout')
  const lines = createInterface({ input: child.stdout })
  const [line] = (await once(lines, 'line')) as [string]
  const { urls } = JSON.parse(line) as { urls: string[] }
  return { urls, ...handle(child) }
}

/** Streams running through the coordinator in a child process; `stop` resolves with the outcome counts. */
export function startBackgroundStreams(
  url: string,
  concurrency: number,
  model: string,
): { stop(): Promise<Record<string, number>> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      BACKGROUND_STREAMS,
      '--url',
      url,
      '--concurrency',
      String(concurrency),
      '--model',
      model,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  return {
    async stop() {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
      return JSON.parse(output) as Record<string, number>
    },
  }
}

function handle(child: ChildProcess): ChildHandle {
  const pid = child.pid
  if (pid === undefined) throw new Error('the child process did not start')
  return {
    child,
    rssMiB: () => readRssMiB(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export function readRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match === null ? Number.NaN : Number(match[1]) / 1024
}

export function readCpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is 14th, stime 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}
