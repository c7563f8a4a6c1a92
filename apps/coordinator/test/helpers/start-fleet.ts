/**
 * A real coordinator (`startCoordinator` from env) with mock runtimes from `@llm-fleet/mock-runtime`
 * registered as nodes through the agent API, the way agents do it. For the fault, wait-queue and
 * shutdown-adjacent tests. The clock is the wall clock plus an offset that a test can move forward
 * (`advanceClock`), so cool-downs lift without sleeping while sockets stay real.
 */
import {
  type MockRuntime,
  type MockRuntimeOptions,
  type RuntimeKind,
  startMockRuntime,
} from '@llm-fleet/mock-runtime'
import { type FleetNode, FleetNodeList, RegistrationAccepted } from '@llm-fleet/types'
import type { FastifyInstance } from 'fastify'
import { type Agent, request } from 'undici'
import { onTestFinished } from 'vitest'
import type { NodeRegistry } from '../../src/registry/node-registry.js'
import {
  createWallClock,
  MODEL,
  type NodeOptions,
  nodeRegistration,
  startCoordinator,
} from './start-coordinator.js'

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
    node?: NodeExtras & {
      kind?: RuntimeKind
      models?: readonly string[]
      hostname?: string
      apiKey?: string
    },
  ): Promise<string>
  /** `GET /api/agents` */
  nodes(): Promise<FleetNode[]>
  close(): Promise<void>
}

export interface NodeExtras {
  readonly maxConcurrency?: number
  readonly computeScore?: number
  readonly runtimeVersion?: string
  readonly modelDetails?: NodeOptions['modelDetails']
}

export interface FleetRuntime {
  readonly runtime: MockRuntime
  readonly nodeId: string
}

/** Starts the fleet; `env` is what the coordinator would read (`UPSTREAM_BODY_TIMEOUT_MS`, …). */
export async function startFleet(env: Record<string, string> = {}): Promise<Fleet> {
  const coordinator = await startCoordinator({
    // A long push interval keeps registered-but-silent nodes online for the whole test.
    env: { AGENT_TOKEN: FLEET_AGENT_TOKEN, PUSH_INTERVAL_MS: '600000', ...env },
    clock: createWallClock(),
    captureLogs: true,
  })
  const { url, dispatcher: client } = coordinator
  const runtimes: MockRuntime[] = []
  const auth = { authorization: `Bearer ${FLEET_AGENT_TOKEN}` }

  const fleet: Fleet = {
    url,
    app: coordinator.app,
    registry: coordinator.registry,
    logs: coordinator.logs,
    client,
    advanceClock(ms) {
      coordinator.clock.advance(ms)
    },
    async addRuntime(options = {}) {
      const { maxConcurrency, computeScore, runtimeVersion, modelDetails, ...runtimeOptions } = options
      const runtime = await startMockRuntime({
        kind: 'ollama',
        profile: 'a100',
        models: [MODEL],
        port: 0,
        speedScale: 50,
        ...runtimeOptions,
      })
      runtimes.push(runtime)
      const nodeId = await fleet.registerRuntime(runtime.url, {
        hostname: runtime.name,
        kind: runtimeOptions.kind ?? 'ollama',
        models: runtimeOptions.models ?? [MODEL],
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
        ...(computeScore === undefined ? {} : { computeScore }),
        ...(runtimeVersion === undefined ? {} : { runtimeVersion }),
        ...(modelDetails === undefined ? {} : { modelDetails }),
        // As the agent registers RUNTIME_API_KEY for a runtime started with --api-key.
        ...(runtimeOptions.apiKey === undefined ? {} : { apiKey: runtimeOptions.apiKey }),
      })
      return { runtime, nodeId }
    },
    async registerRuntime(runtimeUrl, node = {}) {
      const body = nodeRegistration(runtimeUrl, { hostname: `host-${runtimeUrl}`, ...node })
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
      await coordinator.close()
      await Promise.all(runtimes.map((runtime) => runtime.close()))
    },
  }
  onTestFinished(() => fleet.close())
  return fleet
}
