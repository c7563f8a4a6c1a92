/**
 * A real coordinator (`buildApp` from env, listening on 127.0.0.1:0) with mock runtimes from
 * `@llm-fleet/mock-runtime` registered as nodes through the agent API, the way agents do it. For the
 * fault, wait-queue and shutdown-adjacent tests. The clock is the wall clock plus an offset that a test
 * can move forward (`advanceClock`), so cool-downs lift without sleeping while sockets stay real.
 */
import { Writable } from 'node:stream'
import {
  type MockRuntime,
  type MockRuntimeOptions,
  type RuntimeKind,
  startMockRuntime,
} from '@llm-fleet/mock-runtime'
import { type AgentRegistration, type FleetNode, FleetNodeList, RegistrationAccepted } from '@llm-fleet/types'
import Fastify, { type FastifyInstance } from 'fastify'
import { Agent, request } from 'undici'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'

export const FLEET_MODEL = 'llama3.1:8b'
export const FLEET_AGENT_TOKEN = 'fleet-test-agent-token'

export interface Fleet {
  readonly url: string
  readonly app: FastifyInstance
  readonly registry: NodeRegistry
  /** Parsed log lines so far. */
  readonly logs: Record<string, unknown>[]
  /** A test client with a short keep-alive, closed with the fleet. */
  readonly client: Agent
  /** Moves the coordinator's clock forward (cool-downs, TTLs). */
  advanceClock(ms: number): void
  /** Starts a mock runtime and registers it through `POST /api/agents`. */
  addRuntime(options?: Partial<MockRuntimeOptions> & NodeExtras): Promise<FleetRuntime>
  /** Registers any runtime URL through `POST /api/agents`; returns the node id. */
  registerRuntime(
    url: string,
    node?: NodeExtras & { kind?: RuntimeKind; models?: readonly string[]; hostname?: string },
  ): Promise<string>
  /** `GET /api/agents` */
  nodes(): Promise<FleetNode[]>
  close(): Promise<void>
}

export interface NodeExtras {
  readonly maxConcurrency?: number
  readonly computeScore?: number
}

export interface FleetRuntime {
  readonly runtime: MockRuntime
  readonly nodeId: string
}

/** Starts the fleet; `env` is what the coordinator would read (`UPSTREAM_BODY_TIMEOUT_MS`, …). */
export async function startFleet(env: Record<string, string> = {}): Promise<Fleet> {
  const logs: Record<string, unknown>[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      }
      callback()
    },
  })
  const logger = Fastify({ logger: { level: 'info', stream: logStream } }).log
  const config = loadConfig({
    // A long push interval keeps registered-but-silent nodes online for the whole test.
    env: { PORT: '0', AGENT_TOKEN: FLEET_AGENT_TOKEN, PUSH_INTERVAL_MS: '600000', ...env },
    argv: [],
  })
  let offsetMs = 0
  const clock = () => Date.now() + offsetMs
  const registry = new NodeRegistry({
    clock,
    ttlMs: config.agentTtlMs,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log: logger,
  })
  const balancerState = createBalancerState(() => 0.5, { mode: config.loadBalancerMode })
  const app = await buildApp({ registry, balancerState, clock, logger }, config)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const url = `http://127.0.0.1:${address.port}`
  const client = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  const runtimes: MockRuntime[] = []
  const auth = { authorization: `Bearer ${FLEET_AGENT_TOKEN}` }

  const fleet: Fleet = {
    url,
    app,
    registry,
    logs,
    client,
    advanceClock(ms) {
      offsetMs += ms
    },
    async addRuntime(options = {}) {
      const { maxConcurrency, computeScore, ...runtimeOptions } = options
      const runtime = await startMockRuntime({
        kind: 'ollama',
        profile: 'a100',
        models: [FLEET_MODEL],
        port: 0,
        speedScale: 50,
        ...runtimeOptions,
      })
      runtimes.push(runtime)
      const nodeId = await fleet.registerRuntime(runtime.url, {
        hostname: runtime.name,
        kind: runtimeOptions.kind ?? 'ollama',
        models: runtimeOptions.models ?? [FLEET_MODEL],
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
        ...(computeScore === undefined ? {} : { computeScore }),
      })
      return { runtime, nodeId }
    },
    async registerRuntime(runtimeUrl, node = {}) {
      const body: AgentRegistration = {
        hostname: node.hostname ?? `host-${runtimeUrl}`,
        agentVersion: '0.1.0',
        runtime: { kind: node.kind ?? 'ollama', url: runtimeUrl },
        cpu: { model: 'test CPU', cores: 8 },
        memoryTotalBytes: 32 * 1024 ** 3,
        gpus: [],
        driverVersion: null,
        cudaVersion: null,
        computeScore: node.computeScore ?? 100,
        maxConcurrency: node.maxConcurrency ?? 4,
        models: [...(node.models ?? [FLEET_MODEL])],
      }
      const response = await request(`${url}/api/agents`, {
        method: 'POST',
        dispatcher: client,
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(body),
      })
      if (response.statusCode !== 201) throw new Error(`registration answered ${response.statusCode}`)
      return RegistrationAccepted.parse(await response.body.json()).agentId
    },
    async nodes() {
      const response = await request(`${url}/api/agents`, { dispatcher: client, headers: auth })
      return FleetNodeList.parse(await response.body.json()).nodes
    },
    async close() {
      await app.close()
      await Promise.all(runtimes.map((runtime) => runtime.close()))
      await client.close()
    },
  }
  onTestFinished(() => fleet.close())
  return fleet
}

/** Polls `condition` every 5 ms until it holds; fails at the deadline (never a fixed sleep). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Sum of in-flight counts over every node. */
export function inFlightTotal(registry: NodeRegistry): number {
  let total = 0
  for (const node of registry.snapshot()) total += node.inFlight
  return total
}
