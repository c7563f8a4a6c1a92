/**
 * Server processes a bench starts: a free port to give one, a wait until it answers over HTTP, a
 * TypeScript entry run under tsx, and a stop that cannot hang the bench.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

const STOP_GRACE_MS = 10_000
const POLL_MS = 50

/** A port free a moment ago on 127.0.0.1, for a server that cannot report the one it got. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  // Port 0 would let the child pick one nobody knows: fail here instead.
  if (address === null || typeof address === 'string') throw new Error('freePort: no TCP address')
  return address.port
}

/**
 * Polls `GET url` until it answers 2xx; throws (with the last failure as cause) after `timeoutMs`,
 * or at once if `child` exits first.
 */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastFailure: unknown = null
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the server exited (${child.exitCode ?? child.signalCode})`, {
        cause: lastFailure,
      })
    }
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.ok) return
      lastFailure = new Error(`answered ${response.status}`)
    } catch (error) {
      lastFailure = error
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer in ${timeoutMs} ms`, { cause: lastFailure })
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** Runs a TypeScript file in a new Node process with tsx's loader. */
export function spawnTsx(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], options)
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
