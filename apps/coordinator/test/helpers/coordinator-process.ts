/**
 * The built `llm-fleet-coordinator` bin (dist/main.js) as a child process, for tests of what only the
 * process does: exit codes, flags, signals, and the registry main.ts builds (process metrics).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

/** Fails with what to do when the bin has not been built. */
export function assertBuilt(): void {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`pnpm build\` first (turbo's test task does)`)
}

/** Starts the bin with only the given environment (plus PATH), so the developer's shell cannot leak in. */
export function spawnCoordinator(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

/** Resolves with the first NDJSON log line whose `msg` matches, collecting every line seen. */
export function waitForLogLine(child: ChildProcess, lines: Record<string, unknown>[], pattern: RegExp) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`exited with ${code} before logging ${pattern}`)))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let newline = buffered.indexOf('\n')
      while (newline !== -1) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>
        buffered = buffered.slice(newline + 1)
        lines.push(line)
        if (typeof line.msg === 'string' && pattern.test(line.msg)) resolve(line)
        newline = buffered.indexOf('\n')
      }
    })
  })
}

/** The base URL from fastify's `Server listening at …` line, once the bin logged `coordinator ready`. */
export async function listeningUrl(
  child: ChildProcess,
  lines: Record<string, unknown>[] = [],
): Promise<string> {
  await waitForLogLine(child, lines, /^coordinator ready/)
  const listening = lines.find(
    (line) => typeof line.msg === 'string' && line.msg.startsWith('Server listening at'),
  )
  if (listening === undefined) throw new Error('the coordinator logged no "Server listening at" line')
  return String(listening.msg).replace('Server listening at ', '')
}
