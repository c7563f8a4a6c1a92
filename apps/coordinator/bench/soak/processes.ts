/**
 * The processes a soak run drives: the built coordinator (`dist/main.js`) and a mock fleet, each a child
 * process on 127.0.0.1, each handle able to read its process's RSS and CPU time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort, spawnTsx, stopChild, waitForHttp } from '../internal/child-process.js'
import { readCpuSeconds, readRssMiB } from '../internal/proc-stats.js'

const COORDINATOR_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const MOCK_FLEET = fileURLToPath(new URL('./mock-fleet.ts', import.meta.url))
const BACKGROUND_STREAMS = fileURLToPath(new URL('./background-streams.ts', import.meta.url))

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

export async function startCoordinator(env: Record<string, string>): Promise<CoordinatorHandle> {
  const port = await freePort()
  const child = spawn(process.execPath, [COORDINATOR_MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/healthz`, child)
  return { url, ...handle(child) }
}

/** Starts `count` wide mock runtimes in one child process; resolves with their URLs. */
export async function startMockFleet(
  count: number,
  tokensPerS: number,
  model: string,
): Promise<ChildHandle & { urls: string[] }> {
  const child = spawnTsx(
    MOCK_FLEET,
    ['--count', String(count), '--tokens-per-s', String(tokensPerS), '--model', model],
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
  const child = spawnTsx(
    BACKGROUND_STREAMS,
    ['--url', url, '--concurrency', String(concurrency), '--model', model],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  return {
    async stop() {
      await stopChild(child)
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
    stop: () => stopChild(child),
  }
}
