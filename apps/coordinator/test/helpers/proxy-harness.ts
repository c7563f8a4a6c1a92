/**
 * A real coordinator on an ephemeral port for the proxy tests, with its log lines captured and parsed,
 * and helpers to register fake runtimes as nodes straight through the registry.
 */
import { Writable } from 'node:stream'
import type { AgentRegistration, RuntimeKind } from '@llm-fleet/types'
import Fastify from 'fastify'
import { Agent, type Dispatcher, request } from 'undici'
import { onTestFinished } from 'vitest'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { RequestForwarder } from '../../src/proxy/forward-request.js'
import { UpstreamPools } from '../../src/proxy/upstream-pools.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'
import { ollamaApi } from '../../src/routes/ollama-api.js'
import { openAiApi } from '../../src/routes/openai-api.js'
import { routeExplain } from '../../src/routes/route-explain.js'

export interface ProxyHarnessOptions {
  readonly apiKeys?: readonly string[]
  readonly maxRetries?: number
  readonly headersTimeoutMs?: number
  readonly coolDownMs?: number
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
  const app = Fastify({ logger: { level: 'info', stream: logStream }, requestIdHeader: 'x-request-id' })
  const registry = new NodeRegistry({
    clock: Date.now,
    ttlMs: 60_000,
    maxNodes: 100,
    pushIntervalMs: 20_000,
    coolDownMs: options.coolDownMs ?? 30_000,
    log: app.log,
  })
  const pools = new UpstreamPools({
    headersTimeoutMs: options.headersTimeoutMs ?? 300_000,
    bodyTimeoutMs: 120_000,
  })
  registry.onNodeRemoved((node) => {
    void pools.remove(node.id)
  })
  const balancerState = createBalancerState(Math.random)
  const forwarder = new RequestForwarder({
    registry,
    pools,
    balancerState,
    maxRetries: options.maxRetries ?? 2,
    coolDownMs: options.coolDownMs ?? 30_000,
    now: Date.now,
  })
  const apiKeys = options.apiKeys ?? []
  const bodyLimitBytes = 8 * 1024 * 1024
  await app.register(openAiApi, { forwarder, registry, apiKeys, bodyLimitBytes })
  await app.register(ollamaApi, { forwarder, registry, apiKeys, bodyLimitBytes })
  await app.register(routeExplain, { registry, balancerState, now: Date.now, apiKeys })
  app.addHook('onClose', () => pools.close())
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
