/**
 * Graceful shutdown of the built coordinator (`dist/main.js` as a child process) with a slow streaming
 * mock runtime behind it: on SIGTERM it stops accepting, lets the stream in flight finish in full, and
 * exits 0; when the stream outlives SHUTDOWN_GRACE_MS it exits 0 anyway and the log says so.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type GpuProfile, type MockRuntime, startMockRuntime } from '@llm-fleet/mock-runtime'
import { RegistrationAccepted } from '@llm-fleet/types'
import { Agent, request } from 'undici'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createClient, MODEL, nodeRegistration } from './helpers/start-coordinator.js'

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))
/** Tokens of the streamed answer: at SLOW's 40 tokens/s the stream lasts about a second. */
const ANSWER_TOKENS = 40

/** A slow GPU: a stream takes long enough for SIGTERM to land in its middle. */
const SLOW: GpuProfile = {
  id: 'slow',
  gpuName: 'Slow Test GPU',
  memoryBandwidthGBs: 100,
  singleTokensPerS: 40,
  ttftMs: 10,
  slots: 8,
  batchingExponent: 1,
}

interface Coordinator {
  readonly child: ChildProcess
  readonly url: string
  readonly lines: Record<string, unknown>[]
  /** Resolves with the exit code once the process exited and its stdout ended. */
  readonly exited: Promise<number | null>
}

async function startCoordinator(env: Record<string, string>): Promise<Coordinator> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const lines: Record<string, unknown>[] = []
  const exited = Promise.all([once(child, 'exit'), child.stdout ? once(child.stdout, 'end') : null]).then(
    ([[code]]) => code as number | null,
  )
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>
        buffered = buffered.slice(newline + 1)
        lines.push(line)
        const message = String(line.msg)
        if (message.startsWith('Server listening at ')) resolve(message.replace('Server listening at ', ''))
      }
    })
  })
  return { child, url, lines, exited }
}

async function startSlowRuntime(): Promise<MockRuntime> {
  const runtime = await startMockRuntime({ kind: 'ollama', profile: SLOW, models: [MODEL], port: 0 })
  onTestFinished(() => runtime.close())
  return runtime
}

async function register(coordinator: Coordinator, runtime: MockRuntime, client: Agent): Promise<void> {
  const body = nodeRegistration(runtime.url, { hostname: 'slow-host' })
  const response = await request(`${coordinator.url}/api/agents`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(response.statusCode).toBe(201)
  RegistrationAccepted.parse(await response.body.json())
}

/** How a streamed answer ended: read to its end, or broken off (the error is undici's). */
type StreamOutcome = { kind: 'complete'; text: string } | { kind: 'broken'; error: unknown }

/**
 * Starts a streamed chat and resolves once its first chunk arrived, with a promise of how it ends. That
 * promise never rejects: a stream broken while the test awaits something else would otherwise be an
 * unhandled rejection before the test got to look at it.
 */
async function startStream(coordinator: Coordinator, client: Agent) {
  const response = await request(`${coordinator.url}/api/chat`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: 'tell me a story' }],
      options: { num_predict: ANSWER_TOKENS },
      stream: true,
    }),
  })
  expect(response.statusCode).toBe(200)
  const iterator = response.body[Symbol.asyncIterator]()
  const first = await iterator.next()
  const rest = (async (): Promise<StreamOutcome> => {
    let text = first.done === true ? '' : (first.value as Buffer).toString('utf8')
    try {
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        text += (next.value as Buffer).toString('utf8')
      }
    } catch (error) {
      return { kind: 'broken', error }
    }
    return { kind: 'complete', text }
  })()
  return { rest }
}

/** What a new client meets after SIGTERM: a refused connection or a 503. */
async function tryNewConnection(url: string): Promise<string> {
  const fresh = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  try {
    const response = await request(`${url}/healthz`, { dispatcher: fresh })
    await response.body.dump()
    return `status ${response.statusCode}`
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
    return `error ${String(code)}`
  } finally {
    await fresh.close()
  }
}

describe('coordinator shutdown on SIGTERM (dist/main.js)', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first`)
  })

  it('stops accepting, lets the stream in flight finish in full, and exits 0', async () => {
    const runtime = await startSlowRuntime()
    const coordinator = await startCoordinator({ SHUTDOWN_GRACE_MS: '20000' })
    const client = createClient()
    await register(coordinator, runtime, client)

    const { rest } = await startStream(coordinator, client)
    coordinator.child.kill('SIGTERM')
    await new Promise<void>((resolve) => {
      const check = () =>
        coordinator.lines.some((line) => line.msg === 'shutting down') ? resolve() : setTimeout(check, 5)
      check()
    })
    expect(['error ECONNREFUSED', 'status 503']).toContain(await tryNewConnection(coordinator.url))

    const outcome = await rest
    if (outcome.kind !== 'complete') throw new Error('the stream in flight was broken off by the shutdown')
    const chunks = outcome.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { done?: boolean; message?: { content?: string } })
    expect(chunks.at(-1)?.done).toBe(true)
    // Every token reached the client: one chunk per token, plus the final one.
    expect(chunks.filter((chunk) => chunk.done === false)).toHaveLength(ANSWER_TOKENS)

    expect(await coordinator.exited).toBe(0)
    const messages = coordinator.lines.map((line) => line.msg)
    expect(messages).toContain('closed')
    expect(messages).not.toContain('grace period over: exiting with requests in flight')
  })

  it('exits 0 once SHUTDOWN_GRACE_MS is over even with a stream still open, and logs it', async () => {
    const runtime = await startSlowRuntime()
    const coordinator = await startCoordinator({ SHUTDOWN_GRACE_MS: '300' })
    const client = createClient()
    await register(coordinator, runtime, client)
    // The answer stops after two tokens and never ends: only the grace period can end the shutdown.
    await runtime.setFault({ mode: 'stall', afterChunks: 2 })

    const { rest } = await startStream(coordinator, client)
    coordinator.child.kill('SIGTERM')
    expect(await coordinator.exited).toBe(0)
    expect(coordinator.lines.map((line) => line.msg)).toContain(
      'grace period over: exiting with requests in flight',
    )
    // The client's stream ends with the process (an incomplete response), it does not hang.
    const outcome = await rest
    expect(outcome.kind).toBe('broken')
    expect(outcome.kind === 'broken' ? (outcome.error as { code?: unknown }).code : undefined).toBe(
      'UND_ERR_SOCKET',
    )
  })
})
