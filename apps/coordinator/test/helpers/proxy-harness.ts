/**
 * The real coordinator (`buildApp`) on an ephemeral port for the proxy tests, with its log lines
 * captured and parsed, a wall clock (real sockets, real timeouts), and helpers to register fake runtimes as nodes straight through the registry.
 */
import { Writable } from 'node:stream'
import type { AgentRegistration, RuntimeKind } from '@llm-fleet/types'
import Fastify from 'fastify'
import { Agent, type Dispatcher, request } from 'undici'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { BalancerMode } from '../../src/core/balancer/strategies.js'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'

export interface ProxyHarnessOptions {
  readonly apiKeys?: readonly string[]
  readonly maxRetries?: number
  readonly headersTimeoutMs?: number
  readonly coolDownMs?: number
  /** `LOAD_BALANCER_MODE`; the configured default otherwise. */
  readonly loadBalancerMode?: BalancerMode
}

export interface ProxyHarness {
  readonly url: string
  readonly registry: NodeRegistry
  /** Every log line so far, parsed. */
  readonly logs: Record<string, unknown>[]
  /** Registers a node whose runtime is at `runtimeUrl`; returns its id. */
  addNode(runtimeUrl: string, node?: NodeOptions): string
  close(): Promise<void>
}

export interface NodeOptions {
  readonly hostname?: string
  readonly kind?: RuntimeKind
  readonly computeScore?: number
  readonly maxConcurrency?: number
  readonly models?: readonly string[]
}

export const MODEL = 'llama3.1:8b'

export async function startProxyHarness(options: ProxyHarnessOptions = {}): Promise<ProxyHarness> {
  const logs: Record<string, unknown>[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      }
      callback()
    },
  })
  // The way main.ts builds its logger (pino through fastify), writing into `logs` instead of stdout.
  const logger = Fastify({ logger: { level: 'info', stream: logStream } }).log
  const env: Record<string, string> = { PORT: '0' }
  if (options.apiKeys !== undefined) env.API_KEYS = options.apiKeys.join(',')
  if (options.maxRetries !== undefined) env.MAX_RETRIES = String(options.maxRetries)
  if (options.headersTimeoutMs !== undefined)
    env.UPSTREAM_HEADERS_TIMEOUT_MS = String(options.headersTimeoutMs)
  if (options.coolDownMs !== undefined) env.COOL_DOWN_MS = String(options.coolDownMs)
  if (options.loadBalancerMode !== undefined) env.LOAD_BALANCER_MODE = options.loadBalancerMode
  const config = loadConfig({ env, argv: [] })
  const registry = new NodeRegistry({
    clock: Date.now,
    ttlMs: 600_000,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log: logger,
  })
  const balancerState = createBalancerState(Math.random, { mode: config.loadBalancerMode })
  const app = await buildApp({ registry, balancerState, clock: Date.now, logger }, config)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')

  let hostCount = 0
  const harness: ProxyHarness = {
    url: `http://127.0.0.1:${address.port}`,
    registry,
    logs,
    addNode(runtimeUrl, node = {}) {
      hostCount++
      return registry.register(registration(runtimeUrl, { hostname: `node-${hostCount}`, ...node })).agentId
    },
    async close() {
      await app.close()
    },
  }
  onTestFinished(() => harness.close())
  return harness
}

function registration(runtimeUrl: string, node: NodeOptions): AgentRegistration {
  return {
    hostname: node.hostname ?? 'node',
    agentVersion: '0.1.0',
    runtime: { kind: node.kind ?? 'ollama', url: runtimeUrl },
    cpu: { model: 'test CPU', cores: 8 },
    memoryTotalBytes: 32 * 1024 ** 3,
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    computeScore: node.computeScore ?? 100,
    maxConcurrency: node.maxConcurrency ?? 4,
    models: [...(node.models ?? [MODEL])],
  }
}

/** Polls `condition` until it holds, failing after `timeoutMs`. For state that settles after an event. */
export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition still false at the deadline')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Total in-flight count over every node. */
export function totalInFlight(registry: NodeRegistry): number {
  return registry.snapshot().reduce((sum, node) => sum + node.inFlight, 0)
}

/** A test client: undici with a short keep-alive, closed when the test finishes. */
export function createClient(): Agent {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  onTestFinished(() => agent.close())
  return agent
}

/** POSTs a JSON body (given as the exact text to send) through `client`. */
export function postJson(
  client: Agent,
  url: string,
  body: string | object,
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Dispatcher.ResponseData> {
  return request(url, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: options.signal ?? null,
  })
}

/** The `proxied` log lines so far. */
export function proxiedLines(harness: ProxyHarness): Record<string, unknown>[] {
  return harness.logs.filter((line) => line.msg === 'proxied')
}
