/**
 * The real coordinator on an ephemeral port for the proxy tests: its log lines captured and parsed, the
 * wall clock (real sockets, real timeouts), a random round-robin start, and nodes registered straight
 * through the registry. Plus the request helpers those tests share.
 */
import { type Agent, type Dispatcher, request } from 'undici'
import type { BalancerMode } from '../../src/core/balancer/strategies.js'
import type { NodeRegistry } from '../../src/registry/node-registry.js'
import { createWallClock, type NodeOptions, nodeRegistration, startCoordinator } from './start-coordinator.js'

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

export async function startProxyHarness(options: ProxyHarnessOptions = {}): Promise<ProxyHarness> {
  // Nodes registered here never push: a long TTL keeps them online for the whole test.
  const env: Record<string, string> = { AGENT_TTL_MS: '600000' }
  if (options.apiKeys !== undefined) env.API_KEYS = options.apiKeys.join(',')
  if (options.maxRetries !== undefined) env.MAX_RETRIES = String(options.maxRetries)
  if (options.headersTimeoutMs !== undefined)
    env.UPSTREAM_HEADERS_TIMEOUT_MS = String(options.headersTimeoutMs)
  if (options.coolDownMs !== undefined) env.COOL_DOWN_MS = String(options.coolDownMs)
  if (options.loadBalancerMode !== undefined) env.LOAD_BALANCER_MODE = options.loadBalancerMode
  const coordinator = await startCoordinator({
    env,
    clock: createWallClock(),
    random: Math.random,
    captureLogs: true,
  })

  let hostCount = 0
  return {
    url: coordinator.url,
    registry: coordinator.registry,
    logs: coordinator.logs,
    addNode(runtimeUrl, node = {}) {
      hostCount++
      const registration = nodeRegistration(runtimeUrl, { hostname: `node-${hostCount}`, ...node })
      return coordinator.registry.register(registration).agentId
    },
    close: coordinator.close,
  }
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
