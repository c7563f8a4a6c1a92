/**
 * Shared load accounting through a real redis-server with ioredis: two coordinators' registries (each
 * with its own RedisSharedState, as main.ts builds them) see each other's in-flight counts and
 * cool-downs; when the store dies each takes a 1/N share of a node, says so once, and shares again
 * when it is back.
 */
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { NodeRegistry } from '../src/registry/node-registry.js'
import { RedisSharedState } from '../src/shared-state/redis-shared-state.js'
import { nodeRegistration } from './helpers/start-coordinator.js'
import { startRedis } from './helpers/start-redis.js'

const HEARTBEAT_MS = 200

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Listens on `port` and closes every connection at once, counting them. */
async function refusingListener(port: number) {
  const stand = { connections: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  const server = createServer((socket) => {
    stand.connections++
    socket.destroy()
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return stand
}

async function coordinator(url: string) {
  const lines: { level: string; msg: string; fields: object }[] = []
  const log = {
    info: (fields: object, msg: string) => lines.push({ level: 'info', msg, fields }),
    warn: (fields: object, msg: string) => lines.push({ level: 'warn', msg, fields }),
  }
  const shared = new RedisSharedState({ url, heartbeatMs: HEARTBEAT_MS, clock: Date.now, log })
  const registry = new NodeRegistry({
    clock: Date.now,
    ttlMs: 60_000,
    maxNodes: 10,
    pushIntervalMs: 2000,
    coolDownMs: 30_000,
    coolDownFailures: 1,
    log,
    sharedLoad: shared.view,
  })
  onTestFinished(() => shared.close())
  await shared.start(() => registry.onlineKeys())
  // The same host registers with both, getting a different id from each.
  const { agentId } = registry.register(nodeRegistration('http://10.0.0.1:11434', { hostname: 'h100-host' }))
  const node = () => registry.snapshot().find((view) => view.id === agentId)
  return { shared, registry, agentId, node, lines }
}

/** A redis-server and two coordinators on it, both connected. */
async function twoConnected() {
  const redis = await startRedis()
  const a = await coordinator(redis.url)
  const b = await coordinator(redis.url)
  await until(
    () => (a.shared.status === 'connected' && b.shared.status === 'connected' ? true : undefined),
    'both connected',
  )
  return { redis, a, b }
}

describe('shared load over redis-server', () => {
  it('each coordinator counts the other’s in-flight requests and cool-downs; a leaving one’s counts go at once', async () => {
    const { a, b } = await twoConnected()

    const leases = [a.registry.acquire(a.agentId), a.registry.acquire(a.agentId)]
    b.registry.acquire(b.agentId)
    await until(() => (b.node()?.inFlight === 3 ? true : undefined), 'b sees a’s two requests beside its own')
    await until(() => (a.node()?.inFlight === 3 ? true : undefined), 'a sees b’s request beside its own two')
    for (const lease of leases) lease.release()
    await until(() => (b.node()?.inFlight === 1 ? true : undefined), 'b sees a’s requests end')

    expect(a.registry.reportUpstreamFailure(a.agentId)).toBe(true)
    const coolingDownUntilMs = await until(
      () => b.node()?.coolingDownUntilMs ?? undefined,
      'b sees a’s cool-down',
    )
    expect(coolingDownUntilMs).toBeGreaterThan(Date.now() + 20_000)

    a.registry.acquire(a.agentId)
    await until(() => (b.node()?.inFlight === 2 ? true : undefined), 'b sees a’s new request')
    await a.shared.close()
    await until(() => (b.node()?.inFlight === 1 ? true : undefined), 'b drops a’s count when a says bye')
    expect(b.shared.view.coordinatorCount).toBe(1)
  })

  it('a coordinator started later reads the others’ state from the store before their next message', async () => {
    const redis = await startRedis()
    const a = await coordinator(redis.url)
    await until(() => (a.shared.status === 'connected' ? true : undefined), 'a connected')
    a.registry.acquire(a.agentId)
    const b = await coordinator(redis.url)
    await until(() => (b.node()?.inFlight === 1 ? true : undefined), 'b sees a’s request')
    expect(b.shared.view.missingFromPeers(new Set())).toBe(1)
    expect(b.shared.view.missingFromPeers(b.registry.onlineKeys())).toBe(0)
  })

  it('each sees the other’s prompts not started, and says once that it cannot read a message of another version', async () => {
    const { redis, a, b } = await twoConnected()
    const lease = a.registry.acquire(a.agentId)
    a.registry.setAwaitingTokens(a.agentId, 1_500)
    await until(() => (b.node()?.othersAwaitingTokens === 1_500 ? true : undefined), 'b sees a’s prompts')
    a.registry.setAwaitingTokens(a.agentId, 0)
    await until(() => (b.node()?.othersAwaitingTokens === 0 ? true : undefined), 'b sees them started')
    expect(b.node()?.inFlight).toBe(1)
    lease.release()

    // A coordinator of a later version whose node tuples b does not know, twice.
    const later = new Redis(redis.url)
    onTestFinished(() => later.disconnect())
    const message = { from: 'later', seq: 1, kind: 'delta', nodes: [['h100-host', 1, 0, 0, 7]] }
    await later.publish('llm-fleet:load', JSON.stringify(message))
    await later.publish('llm-fleet:load', JSON.stringify({ ...message, seq: 2 }))
    const unreadable = (line: { msg: string }) => line.msg.includes('cannot read')
    await until(() => (b.lines.some(unreadable) ? true : undefined), 'b says it cannot read the message')
    // b's own next message comes back after both (Redis delivers in the order it received them): by
    // then the second unreadable one has been ignored too.
    const key = 'h100-host\nhttp://10.0.0.1:11434'
    const own = b.registry.acquire(b.agentId)
    expect(b.shared.view.hasUnconfirmed(key)).toBe(true)
    await until(() => (b.shared.view.hasUnconfirmed(key) ? undefined : true), 'b’s own message came back')
    own.release()
    expect(b.lines.filter(unreadable)).toHaveLength(1)
  })

  it('store down: each takes half of the node, logs it once, and shares again when the store is back', async () => {
    const redis = await startRedis()
    const a = await coordinator(redis.url)
    const b = await coordinator(redis.url)
    await until(
      () => (a.shared.view.coordinatorCount === 2 && b.shared.view.coordinatorCount === 2 ? true : undefined),
      'both see two coordinators',
    )
    expect(a.node()?.maxConcurrency).toBe(4)

    await redis.stop()
    await until(
      () => (a.shared.status === 'unreachable' && b.shared.status === 'unreachable' ? true : undefined),
      'both unreachable',
    )
    expect(a.node()?.maxConcurrency).toBe(2)
    expect(b.node()?.maxConcurrency).toBe(2)
    // Reconnect attempts keep failing meanwhile: still one line. A listener on the store's port that
    // closes every connection unanswered counts them: two rounds of the four connections' retries.
    const stand = await refusingListener(redis.port)
    await until(() => (stand.connections >= 8 ? true : undefined), 'two rounds of reconnect attempts')
    await stand.close()
    expect(a.shared.status).toBe('unreachable')
    expect(a.lines.filter((line) => line.msg.startsWith('shared state unreachable'))).toHaveLength(1)
    expect(a.lines.find((line) => line.msg.startsWith('shared state unreachable'))?.fields).toMatchObject({
      capacityShare: '1/2',
    })

    await redis.start()
    await until(
      () => (a.shared.status === 'connected' && b.shared.status === 'connected' ? true : undefined),
      'both reconnected',
    )
    expect(a.node()?.maxConcurrency).toBe(4)
    a.registry.acquire(a.agentId)
    await until(() => (b.node()?.inFlight === 1 ? true : undefined), 'counts shared again')
  })
})
