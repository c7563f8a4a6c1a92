import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { isRunning } from '../test/helpers/process-table.js'
import { ManagedProcess, ProcessExitedError } from './managed-process.js'
import { pollUntil } from './poll-until.js'

const scriptDir = mkdtempSync(join(tmpdir(), 'managed-process-test-'))

/** Starts `source` as a Node script; stopped after the test whatever happens. */
function run(name: string, source: string): ManagedProcess {
  const script = join(scriptDir, `${name}.mjs`)
  writeFileSync(script, source)
  const child = ManagedProcess.start({ name, script, env: { PATH: process.env.PATH } })
  onTestFinished(async () => {
    await child.stop('SIGKILL')
  })
  return child
}

const STAY_ALIVE = 'setInterval(() => {}, 1000)'

describe('ManagedProcess', () => {
  it('finds a JSON log line, whether printed before or after the wait begins', async () => {
    const child = run(
      'ready',
      `console.log('not json'); console.log(JSON.stringify({ msg: 'ready', port: 7 })); ${STAY_ALIVE}`,
    )
    const port = await child.waitForLogLine(
      (entry) => (entry.msg === 'ready' ? entry.port : undefined),
      10_000,
    )
    expect(port).toBe(7)
    // Already printed: found among the kept lines.
    expect(await child.waitForLogLine((entry) => entry.port, 10_000)).toBe(7)
    expect(await child.stop()).toEqual({ code: null, signal: 'SIGTERM' })
    expect(child.isRunning).toBe(false)
  })

  it('rejects with the exit and the output when the process ends before the line', async () => {
    const child = run('crash', `console.error('boom: no config'); process.exit(3)`)
    const waiting = child.waitForLogLine((entry) => entry.url, 10_000)
    await expect(waiting).rejects.toBeInstanceOf(ProcessExitedError)
    await expect(waiting).rejects.toThrow(/exit code 3[\s\S]*boom: no config/)
  })

  it('stops the whole process group, grandchildren included', async () => {
    const child = run(
      'parent',
      `import { spawn } from 'node:child_process'
const grandchild = spawn(process.execPath, ['-e', ${JSON.stringify(STAY_ALIVE)}], { stdio: 'ignore' })
console.log(JSON.stringify({ grandchild: grandchild.pid }))
${STAY_ALIVE}`,
    )
    const grandchild = await child.waitForLogLine(
      (entry) => (typeof entry.grandchild === 'number' ? entry.grandchild : undefined),
      10_000,
    )
    expect(isRunning(grandchild)).toBe(true)
    await child.stop()
    await pollUntil(async () => (isRunning(grandchild) ? undefined : true), {
      what: 'the grandchild to end',
      timeoutMs: 10_000,
    })
  })

  it('sends SIGKILL once the grace period is over', async () => {
    const child = run(
      'stubborn',
      `process.on('SIGTERM', () => {}); console.log(JSON.stringify({ msg: 'ready' })); ${STAY_ALIVE}`,
    )
    // Only once the handler is installed does SIGTERM go unheard.
    await child.waitForLogLine((entry) => (entry.msg === 'ready' ? true : undefined), 10_000)
    expect(await child.stop('SIGTERM', 300)).toEqual({ code: null, signal: 'SIGKILL' })
  })
})
