/**
 * Test coordinators: the real `buildApp` with a real `NodeRegistry` on a manual clock. `buildTestApp`
 * is for `inject`; `startCoordinator` listens on 127.0.0.1:0 for tests that need real sockets. Both
 * close themselves when the test finishes.
 */
import { Agent } from 'undici'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'

export const T0 = 1_800_000_000_000

/** A clock that moves only when told: TTLs and cool-downs are tested without sleeping. */
export interface ManualClock {
  readonly now: () => number
  advance(ms: number): void
}

export function createManualClock(start = T0): ManualClock {
  let current = start
  return {
    now: () => current,
    advance(ms) {
      current += ms
    },
  }
}

export interface TestAppOptions {
  /** Environment variables as the coordinator would read them (`AGENT_TOKEN`, `MAX_NODES`, …). */
  readonly env?: Record<string, string>
}

export async function buildTestApp(options: TestAppOptions = {}) {
  const config: Config = loadConfig({ env: { PORT: '0', ...options.env }, argv: [] })
  const clock = createManualClock()
  const registry = new NodeRegistry({
    clock: clock.now,
    ttlMs: config.agentTtlMs,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log: { info: () => undefined, warn: () => undefined },
  })
  const balancerState = createBalancerState(() => 0.5, { mode: config.loadBalancerMode })
  const app = await buildApp({ registry, balancerState, clock: clock.now }, config)
  onTestFinished(() => app.close())
  return { app, registry, clock, config }
}

export async function startCoordinator(options: TestAppOptions = {}) {
  const built = await buildTestApp(options)
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address')
  // A short keep-alive so that no idle socket outlives the test (undici's writing-tests advice).
  const dispatcher = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  const close = async () => {
    await built.app.close()
    await dispatcher.close()
  }
  onTestFinished(close)
  return { ...built, url: `http://127.0.0.1:${address.port}`, dispatcher, close }
}
