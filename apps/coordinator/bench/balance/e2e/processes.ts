/** The e2e run's child processes: the built coordinator and agents, started with explicit env only. */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../..')

export const BINS = {
  coordinator: resolve(REPO_ROOT, 'apps/coordinator/dist/main.js'),
  agent: resolve(REPO_ROOT, 'apps/agent/dist/main.js'),
  fakeNvidiaSmi: resolve(REPO_ROOT, 'packages/fake-nvidia-smi/dist/main.js'),
} as const

export function capturePath(file: string): string {
  return resolve(REPO_ROOT, 'fixtures/nvidia-smi', file)
}

export interface Child {
  readonly name: string
  /** The last lines of output, for error messages. */
  tail(): string
  stop(): Promise<void>
}

const INHERITED = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'] as const

export function startChild(name: string, script: string, env: Record<string, string>): Child {
  const base: Record<string, string> = {}
  for (const key of INHERITED) if (process.env[key] !== undefined) base[key] = process.env[key] as string
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (lines.length > 40) lines.splice(0, lines.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = once(child, 'exit')
  return {
    name,
    tail: () => lines.join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 6_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Polls `check` until it returns a value or the deadline passes. */
export async function pollUntil<T>(
  what: () => string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await new Promise((done) => setTimeout(done, 100))
  }
}
