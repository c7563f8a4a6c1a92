/**
 * Test coordinators: the real `buildApp` with a real `NodeRegistry`, the one way every test builds a
 * coordinator. `buildTestApp` is for `inject`; `startCoordinator` listens on 127.0.0.1:0 for tests
 * that need real sockets. Both close themselves when the test finishes. `startProxyHarness` and
 * `startFleet` are presets on top of `startCoordinator`.
 */
import { Writable } from 'node:stream'
import type { AgentRegistration, RuntimeKind } from '@llm-fleet/types'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { Agent } from 'undici'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'
import { STALE_NODE_FORGET_TTLS } from '../../src/registry/stale-nodes.js'

export const T0 = 1_800_000_000_000

/** The coordinator's clock as a test holds it: `now` for the app, `advance` to move it forward. */
export interface TestClock {
  readonly now: () => number
  advance(ms: number): void
}

/** A clock that moves only when told: TTLs and cool-downs are tested without sleeping. */
export function createManualClock(start = T0): TestClock {
  let current = start
  return {
    now: () => current,
    advance(ms) {
      current += ms
    },
  }
}

/**
 * The wall clock plus an offset that `advance` moves: for real sockets and real timeouts, where a
 * test still wants cool-downs and TTLs to lift without sleeping.
 */
export function createWallClock(): TestClock {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    advance(ms) {
      offsetMs += ms
    },
  }
}

export interface TestAppOptions {
  /** Environment variables as the coordinator would read them (`AGENT_TOKEN`, `MAX_NODES`, …). */
  readonly env?: Record<string, string>
  /** The registry's and the app's clock; a manual clock at `T0` unless given. */
  readonly clock?: TestClock
  /** The balancer's random source (where round-robin starts); a fixed 0.5 unless given. */
  readonly random?: () => number
  /** Capture the app's log lines (pino at `info`, parsed) into `logs`; otherwise the app logs nothing. */
  readonly captureLogs?: boolean
}

export async function buildTestApp(options: TestAppOptions = {}) {
  const config: Config = loadConfig({ env: { PORT: '0', ...options.env }, argv: [] })
  const clock = options.clock ?? createManualClock()
  const logs: Record<string, unknown>[] = []
  const logger = options.captureLogs === true ? createCapturingLogger(logs) : undefined
  const registry = new NodeRegistry({
    clock: clock.now,
    ttlMs: config.agentTtlMs,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    forgetStaleAfterMs: STALE_NODE_FORGET_TTLS * config.agentTtlMs,
    log: logger ?? { info: () => undefined, warn: () => undefined },
  })
  const balancerState = createBalancerState(options.random ?? (() => 0.5), {
    mode: config.loadBalancerMode,
  })
  const app = await buildApp(
    { registry, balancerState, clock: clock.now, ...(logger === undefined ? {} : { logger }) },
    config,
  )
  onTestFinished(() => app.close())
  return { app, registry, clock, config, logs }
}

export async function startCoordinator(options: TestAppOptions = {}) {
  const built = await buildTestApp(options)
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address')
  // A short keep-alive so that no idle socket outlives the test (undici's writing-tests advice).
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  // Idempotent: a preset's teardown and this one both call it, and a closed undici Agent throws on close.
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= built.app.close().then(() => dispatcher.close())
    return closing
  }
  onTestFinished(close)
  return { ...built, url: `http://127.0.0.1:${address.port}`, dispatcher, close }
}

/** The way main.ts builds its logger (pino through fastify), writing parsed lines into `logs`. */
export function createCapturingLogger(logs: Record<string, unknown>[]): FastifyBaseLogger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      }
      callback()
    },
  })
  return Fastify({ logger: { level: 'info', stream } }).log
}

/** What a test says about a node it registers; the rest of its registration is fixed. */
export interface NodeOptions {
  readonly hostname?: string
  readonly kind?: RuntimeKind
  readonly computeScore?: number
  readonly maxConcurrency?: number
  readonly models?: readonly string[]
  /** The runtime's key, registered as an agent with `RUNTIME_API_KEY` does. */
  readonly apiKey?: string
  readonly runtimeVersion?: string
  readonly modelDetails?: AgentRegistration['modelDetails']
}

/** The model every test node serves unless told otherwise. */
export const MODEL = 'llama3.1:8b'

/** A node's registration with its runtime at `runtimeUrl`: an ollama node serving `MODEL`. */
export function nodeRegistration(runtimeUrl: string, node: NodeOptions = {}): AgentRegistration {
  return {
    hostname: node.hostname ?? 'node',
    agentVersion: '0.1.0',
    runtime: {
      kind: node.kind ?? 'ollama',
      url: runtimeUrl,
      ...(node.apiKey === undefined ? {} : { apiKey: node.apiKey }),
      ...(node.runtimeVersion === undefined ? {} : { version: node.runtimeVersion }),
    },
    cpu: { model: 'test CPU', cores: 8 },
    memoryTotalBytes: 32 * 1024 ** 3,
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    computeScore: node.computeScore ?? 100,
    maxConcurrency: node.maxConcurrency ?? 4,
    models: [...(node.models ?? [MODEL])],
    ...(node.modelDetails === undefined ? {} : { modelDetails: node.modelDetails }),
  }
}

/** A test client: undici with a short keep-alive, closed when the test finishes. */
export function createClient(): Agent {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  onTestFinished(() => agent.close())
  return agent
}

/**
 * Polls `condition` every 5 ms until it holds, failing after `timeoutMs` with `what` in the message.
 * For state that settles after an event (never a fixed sleep).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waitFor: still not true after ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Total in-flight count over every node. */
export function totalInFlight(registry: NodeRegistry): number {
  return registry.snapshot().reduce((sum, node) => sum + node.inFlight, 0)
}
