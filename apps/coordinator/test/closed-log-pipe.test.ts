/**
 * The built coordinator (dist/main.js) after the reader of its stdout or stderr went away (`| head`, a
 * log shipper restarting): its writes there fail with EPIPE, and it must go on serving, not exit.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { startMockRuntime } from '@llm-fleet/mock-runtime'
import { RegistrationAccepted } from '@llm-fleet/types'
import { request } from 'undici'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { assertBuilt, listeningUrl, spawnCoordinator, waitForLogLine } from './helpers/coordinator-process.js'
import { createClient, MODEL, nodeRegistration } from './helpers/start-coordinator.js'

/**
 * Preloaded into the coordinator: on SIGUSR2, two Node warnings (which Node prints to stderr) an
 * event-loop turn apart, as a dependency's warnings would come, then a stdout line saying both were
 * printed. Written to the descriptor, so that stdout stays as the coordinator's own logging left it.
 */
const WARN_TWICE_ON_SIGUSR2 = `data:text/javascript,${encodeURIComponent(`
import { writeSync } from 'node:fs'
process.on('SIGUSR2', () => {
  process.emitWarning('first warning')
  setImmediate(() => {
    process.emitWarning('second warning')
    setImmediate(() => writeSync(1, '{"msg":"warned twice"}\\n'))
  })
})`)}`

/** Resolves as `work` does, or rejects, with what it wrote on stderr, as soon as `child` exits. */
function unlessExited<T>(child: ChildProcess, stderr: () => string, work: Promise<T>): Promise<T> {
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`the coordinator exited (${String(code ?? signal)}):\n${stderr()}`)
  })
  return Promise.race([work, exited])
}

function collectStderr(child: ChildProcess): () => string {
  let text = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
  })
  return () => text
}

async function chat(url: string): Promise<unknown> {
  const response = await request(`${url}/api/chat`, {
    method: 'POST',
    dispatcher: createClient(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], stream: false }),
  })
  expect(response.statusCode).toBe(200)
  return response.body.json()
}

async function exitOnSigterm(child: ChildProcess): Promise<unknown> {
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = await exited
  return code
}

describe('llm-fleet-coordinator with a closed log pipe (dist/main.js)', { timeout: 30_000 }, () => {
  beforeAll(assertBuilt)

  it('keeps serving after the reader of its stdout went away, and still exits 0 on SIGTERM', async () => {
    const runtime = await startMockRuntime({
      kind: 'ollama',
      profile: 'a100',
      models: [MODEL],
      port: 0,
      speedScale: 50,
    })
    onTestFinished(() => runtime.close())
    const child = spawnCoordinator([], { PORT: '0' })
    const stderr = collectStderr(child)
    const url = await listeningUrl(child)

    child.stdout?.destroy()
    // Each of these logs a line (node registered, proxied), which now meets EPIPE.
    await unlessExited(
      child,
      stderr,
      (async () => {
        const registered = await request(`${url}/api/agents`, {
          method: 'POST',
          dispatcher: createClient(),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(nodeRegistration(runtime.url)),
        })
        expect(registered.statusCode).toBe(201)
        RegistrationAccepted.parse(await registered.body.json())
        for (let i = 0; i < 2; i++) {
          expect(await chat(url)).toMatchObject({ model: MODEL, done: true })
        }
      })(),
    )

    expect(child.exitCode).toBeNull()
    expect(await exitOnSigterm(child)).toBe(0)
  })

  it('keeps serving after the reader of its stderr went away and Node printed warnings there', async () => {
    const child = spawnCoordinator([], { PORT: '0', NODE_OPTIONS: `--import=${WARN_TWICE_ON_SIGUSR2}` })
    const url = await listeningUrl(child)

    child.stderr?.destroy()
    const warned = waitForLogLine(child, [], /^warned twice$/)
    child.kill('SIGUSR2')
    await warned
    const health = await request(`${url}/healthz`, { dispatcher: createClient() })
    expect(await health.body.json()).toEqual({ status: 'ok' })

    expect(child.exitCode).toBeNull()
    expect(await exitOnSigterm(child)).toBe(0)
  })
})
