/** Starts the built agent (`dist/main.js`) as a child process, the way systemd would. */
import { type ChildProcess, spawn } from 'node:child_process'
import { onTestFinished } from 'vitest'
import { writeFakeBinary } from './fake-binaries.js'
import { AGENT_MAIN, FAKE_NVIDIA_SMI, xmlFixturePath } from './fixtures.js'

export interface AgentProcess {
  child: ChildProcess
  /** Everything printed so far. */
  stdout(): string
  stderr(): string
  /** Parsed NDJSON log lines so far. */
  logLines(): Array<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startAgent(args: string[], env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [AGENT_MAIN, ...args], {
    // A clean environment: only what the test sets, plus PATH for /bin/sh.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
  }
}

/** A fake nvidia-smi answering from one capture, for NVIDIA_SMI_PATH. */
export function fakeNvidiaSmiFor(capture: string): string {
  return writeFakeBinary(`FAKE_NVSMI_XML='${xmlFixturePath(capture)}' exec '${FAKE_NVIDIA_SMI}' "$@"`)
}

/** Resolves with the exit, or rejects after `timeoutMs`. */
export async function exitWithin(agent: AgentProcess, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`agent still running after ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([agent.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}
