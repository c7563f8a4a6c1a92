import { type AgentRegistration, FleetNode } from '@llm-fleet/types'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { metrics, registration } from '../../test/helpers/wire-samples.js'
import type { Lease } from './lease.js'
import { NodeRegistry } from './node-registry.js'
import type { RemovedNode } from './registry-events.js'

const T0 = 1_800_000_000_000
const TTL_MS = 6_000

function setup(overrides: { maxNodes?: number; forgetStaleAfterMs?: number } = {}) {
  let now = T0
  let nextId = 0
  const lines: { obj: object; msg: string }[] = []
  const warnings: { obj: object; msg: string }[] = []
  const log = {
    info: (obj: object, msg: string) => lines.push({ obj, msg }),
    warn: (obj: object, msg: string) => warnings.push({ obj, msg }),
  }
  const registry = new NodeRegistry({
    clock: () => now,
    ttlMs: TTL_MS,
    maxNodes: overrides.maxNodes ?? 100,
    pushIntervalMs: 2_000,
    coolDownMs: 30_000,
    log,
    generateId: () => `node-${++nextId}`,
    ...(overrides.forgetStaleAfterMs === undefined
      ? {}
      : { forgetStaleAfterMs: overrides.forgetStaleAfterMs }),
  })
  const removed: RemovedNode[] = []
  registry.onNodeRemoved((node) => removed.push(node))
  return {
    registry,
    removed,
    lines,
    warnings,
    advance: (ms: number) => {
      now += ms
    },
  }
}

type RegistryStep =
  | { readonly kind: 'register' | 'push' | 'acquire' | 'drain' | 'fail'; readonly host: string }
  | { readonly kind: 'advance'; readonly ms: number }

/** Applies one step of the snapshot property test; returns the lease an `acquire` took. */
function apply({ registry, advance }: ReturnType<typeof setup>, step: RegistryStep): Lease | undefined {
  if (step.kind === 'advance') return void advance(step.ms)
  if (step.kind === 'register') return void registry.register(registration({ hostname: step.host }))
  const id = registry.list().find((node) => node.name === step.host)?.id
  if (id === undefined) return undefined
  if (step.kind === 'acquire') return registry.acquire(id)
  if (step.kind === 'push') registry.ingestMetrics(id, metrics(id))
  else if (step.kind === 'drain') registry.drain(id)
  else registry.reportUpstreamFailure(id)
  return undefined
}

function viewOf(registry: NodeRegistry, id: string) {
  const view = registry.snapshot().find((node) => node.id === id)
  if (view === undefined) throw new Error(`no view for ${id}`)
  return view
}

describe('NodeRegistry.register', () => {
  it('issues a url-safe id by default and counts the node', () => {
    const registry = new NodeRegistry({
      clock: () => T0,
      ttlMs: TTL_MS,
      maxNodes: 10,
      pushIntervalMs: 2_000,
      coolDownMs: 30_000,
      log: { info: () => undefined, warn: () => undefined },
    })
    const { agentId, created } = registry.register(registration())
    expect(created).toBe(true)
    expect(agentId).toMatch(/^[A-Za-z0-9_-]{8,}$/)
    expect(registry.size).toBe(1)
  })

  it('gives the same hostname and runtime URL the same id and replaces the static info', () => {
    const { registry } = setup()
    expect(registry.register(registration())).toEqual({ agentId: 'node-1', created: true })
    expect(registry.register(registration({ computeScore: 3000, models: ['mistral:7b'] }))).toEqual({
      agentId: 'node-1',
      created: false,
    })
    expect(registry.size).toBe(1)
    const view = viewOf(registry, 'node-1')
    expect(view.computeScore).toBe(3000)
    expect([...view.models]).toEqual(['mistral:7b'])
  })

  it("gives the view one GPU's speed and the smallest GPU's memory, which a larger model spans several of", () => {
    const { registry } = setup()
    const gpu = registration().gpus[0] as AgentRegistration['gpus'][number]
    const gpus = [
      { ...gpu, index: 0, vramTotalMiB: 24_576 },
      { ...gpu, index: 1, uuid: 'GPU-second', vramTotalMiB: 16_384 },
    ]
    const { agentId } = registry.register(registration({ computeScore: 300, gpus }))
    expect(viewOf(registry, agentId)).toMatchObject({
      gpuCount: 2,
      gpuScore: 150,
      gpuVramBytes: 16 * 1024 ** 3,
    })
    const cpuOnly = registry.register(registration({ hostname: 'cpu-only', gpus: [] })).agentId
    expect(viewOf(registry, cpuOnly)).toMatchObject({ gpuCount: 1, gpuVramBytes: 0 })
    // A GPU whose memory the agent could not read (0 MiB) does not hide the others'.
    const unread = [
      { ...gpu, vramTotalMiB: 0 },
      { ...gpu, index: 1, uuid: 'GPU-read', vramTotalMiB: 24_576 },
    ]
    const partly = registry.register(registration({ hostname: 'partly', gpus: unread })).agentId
    expect(viewOf(registry, partly)).toMatchObject({ gpuCount: 2, gpuVramBytes: 24 * 1024 ** 3 })
  })

  it('treats another runtime URL on the same host as another node', () => {
    const { registry } = setup()
    registry.register(registration())
    const second = registry.register(
      registration({ runtime: { kind: 'openai', url: 'http://10.0.0.7:8000' } }),
    )
    expect(second).toEqual({ agentId: 'node-2', created: true })
  })

  it('rejects a new node when full, with a coded 503', () => {
    const { registry } = setup({ maxNodes: 2 })
    registry.register(registration({ hostname: 'a' }))
    registry.register(registration({ hostname: 'b' }))
    expect(() => registry.register(registration({ hostname: 'c' }))).toThrow(
      expect.objectContaining({ code: 'FLEET_REGISTRY_FULL', statusCode: 503 }),
    )
    // Re-registering a known node still works when full.
    expect(registry.register(registration({ hostname: 'a' })).created).toBe(false)
  })

  it('makes room by evicting the longest-stale idle node when full', () => {
    const { registry, removed, advance } = setup({ maxNodes: 2 })
    registry.register(registration({ hostname: 'old' }))
    advance(1_000)
    registry.register(registration({ hostname: 'newer' }))
    advance(TTL_MS + 1_000)
    expect(registry.register(registration({ hostname: 'fresh' }))).toEqual({
      agentId: 'node-3',
      created: true,
    })
    expect(removed).toEqual([{ id: 'node-1', runtimeUrl: 'http://10.0.0.7:11434', slot: 0 }])
    // The newcomer reuses the freed slot, so the balancer's learned tables stay as small as the fleet.
    expect(registry.snapshot().map((node) => [node.name, node.slot])).toEqual([
      ['newer', 1],
      ['fresh', 0],
    ])
    expect(registry.list().map((node) => node.name)).toEqual(['newer', 'fresh'])
  })
})

describe('NodeRegistry.metricsLabel', () => {
  const twin = (url: string) => registration({ hostname: 'gpu-1', runtime: { kind: 'openai', url } })

  it("is the node's name, or name@id while another node holds the name, fixed for the node's life", () => {
    const { registry } = setup()
    const first = registry.register(twin('http://10.0.0.7:11434')).agentId
    const second = registry.register(twin('http://10.0.0.7:8000')).agentId
    expect([first, second]).toEqual(['node-1', 'node-2'])
    expect(registry.metricsLabel(first)).toBe('gpu-1')
    expect(registry.metricsLabel(second)).toBe('gpu-1@node-2')

    registry.drain(first)
    expect(registry.metricsLabel(first)).toBeUndefined()
    // Re-registering keeps the id and the label, though the plain name is free now.
    expect(registry.register(twin('http://10.0.0.7:8000'))).toEqual({ agentId: second, created: false })
    expect(registry.metricsLabel(second)).toBe('gpu-1@node-2')
    // The name is still held (by the second): a newcomer is suffixed too.
    const third = registry.register(twin('http://10.0.0.8:11434')).agentId
    expect(registry.metricsLabel(third)).toBe('gpu-1@node-3')

    registry.drain(second)
    registry.drain(third)
    // Nobody holds the name any more: a new node gets it plain.
    const fourth = registry.register(twin('http://10.0.0.7:11434')).agentId
    expect(fourth).toBe('node-4')
    expect(registry.metricsLabel(fourth)).toBe('gpu-1')
  })

  it('never gives two held nodes one label, even to a node named like a suffixed label', () => {
    const { registry } = setup()
    registry.register(twin('http://10.0.0.7:11434'))
    registry.register(twin('http://10.0.0.7:8000'))
    // Named exactly what the second one is labelled: the name is free, the label is not.
    const lookalike = registry.register(registration({ hostname: 'gpu-1@node-2' })).agentId
    expect(registry.metricsLabel(lookalike)).toBe('gpu-1@node-2@node-3')
    // Named what the next id would make of `gpu-1`: that id is skipped.
    registry.register(registration({ hostname: 'gpu-1@node-5' }))
    const fifth = registry.register(twin('http://10.0.0.8:11434')).agentId
    expect(fifth).toBe('node-6')
    expect(registry.metricsLabel(fifth)).toBe('gpu-1@node-6')
  })

  it('stays unique and fixed whatever the order of arrivals and departures', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('register' as const),
        name: fc.constantFrom('a', 'b', 'a@node-3'),
        port: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant('drain' as const), index: fc.nat() }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const { registry } = setup()
        const seen = new Map<string, string>()
        for (const next of steps) {
          if (next.kind === 'register') {
            const url = `http://10.0.0.7:${next.port}`
            registry.register(registration({ hostname: next.name, runtime: { kind: 'ollama', url } }))
          } else {
            const held = registry.list()
            const node = held[next.index % Math.max(1, held.length)]
            if (node !== undefined) registry.drain(node.id)
          }
          const held = registry.list().map((node) => ({ node, label: registry.metricsLabel(node.id) }))
          expect(new Set(held.map(({ label }) => label)).size).toBe(held.length)
          for (const { node, label } of held) {
            expect([node.name, `${node.name}@${node.id}`]).toContain(label)
            expect(label).toBe(seen.get(node.id) ?? label)
            if (label !== undefined) seen.set(node.id, label)
          }
        }
      }),
    )
  })

  it('warns once, naming both nodes, when a node registers under a name another holds', () => {
    const { registry, warnings } = setup()
    registry.register(twin('http://10.0.0.7:11434'))
    registry.register(registration({ hostname: 'gpu-2' }))
    expect(warnings).toEqual([])
    registry.register(twin('http://10.0.0.7:8000'))
    registry.register(twin('http://10.0.0.7:8000'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.obj).toEqual({
      name: 'gpu-1',
      nodeId: 'node-3',
      runtime: 'http://10.0.0.7:8000',
      metricsLabel: 'gpu-1@node-3',
      otherNodeId: 'node-1',
      otherRuntime: 'http://10.0.0.7:11434',
    })
    for (const part of ['node-3', 'http://10.0.0.7:8000', 'node-1', 'http://10.0.0.7:11434', 'NODE_NAME']) {
      expect(warnings[0]?.msg).toContain(part)
    }
  })
})

describe('NodeRegistry.ingestMetrics', () => {
  it('accepts a push for a known node and exposes its values to the balancer', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    expect(registry.ingestMetrics(agentId, metrics(agentId, { cpuUsage: 55, activeRequests: 3 }))).toEqual({
      kind: 'ok',
    })
    expect(viewOf(registry, agentId)).toMatchObject({
      hasFreshMetrics: true,
      cpuPct: 55,
      memoryPct: 40,
      gpuUtilPct: 37,
      gpuMemoryPct: 48.8,
      runtimeBacklog: 3,
    })
  })

  it('reports unknown agents and id mismatches', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    expect(registry.ingestMetrics('nobody', metrics('nobody'))).toEqual({ kind: 'unknown-agent' })
    expect(registry.ingestMetrics(agentId, metrics('someone-else'))).toEqual({ kind: 'id-mismatch' })
  })

  it('refreshes the model list from the push', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration({ models: ['a'] }))
    registry.ingestMetrics(
      agentId,
      metrics(agentId, { runtime: { up: true, models: ['b', 'c'], loadedModels: [] } }),
    )
    expect([...viewOf(registry, agentId).models]).toEqual(['b', 'c'])
  })

  it('counts only the runtime backlog beyond our own in-flight requests', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    registry.ingestMetrics(agentId, metrics(agentId, { activeRequests: 3 }))
    registry.acquire(agentId)
    registry.acquire(agentId)
    expect(viewOf(registry, agentId)).toMatchObject({ inFlight: 2, runtimeBacklog: 1 })
    registry.acquire(agentId)
    registry.acquire(agentId)
    expect(viewOf(registry, agentId)).toMatchObject({ inFlight: 4, runtimeBacklog: 0 })
  })

  it('drops the runtime backlog once the metrics are no longer fresh', () => {
    const { registry, advance } = setup()
    const { agentId } = registry.register(registration())
    registry.ingestMetrics(agentId, metrics(agentId, { activeRequests: 3 }))
    advance(TTL_MS - 1)
    registry.register(registration())
    expect(viewOf(registry, agentId)).toMatchObject({ runtimeBacklog: 3, hasFreshMetrics: true })
    advance(2)
    expect(viewOf(registry, agentId)).toMatchObject({
      state: 'online',
      runtimeBacklog: 0,
      hasFreshMetrics: false,
    })
  })
})

describe('NodeRegistry time', () => {
  it('turns a node stale after the TTL and online again on its next push', () => {
    const { registry, advance } = setup()
    const { agentId } = registry.register(registration())
    registry.ingestMetrics(agentId, metrics(agentId))
    advance(TTL_MS)
    expect(viewOf(registry, agentId)).toMatchObject({ state: 'online', hasFreshMetrics: true })
    advance(1)
    expect(viewOf(registry, agentId)).toMatchObject({ state: 'stale', hasFreshMetrics: false })
    expect(registry.countByState()).toEqual({ online: 0, stale: 1, draining: 0 })
    registry.ingestMetrics(agentId, metrics(agentId))
    expect(viewOf(registry, agentId).state).toBe('online')
  })

  it('marks metrics stale while a re-registration keeps the node online', () => {
    const { registry, advance } = setup()
    const { agentId } = registry.register(registration())
    registry.ingestMetrics(agentId, metrics(agentId))
    advance(TTL_MS - 1)
    registry.register(registration())
    advance(2)
    expect(viewOf(registry, agentId)).toMatchObject({ state: 'online', hasFreshMetrics: false })
  })

  it('returns the same snapshot until something changes, and reuses unchanged views', () => {
    const { registry, advance } = setup()
    const a = registry.register(registration({ hostname: 'a' })).agentId
    const b = registry.register(registration({ hostname: 'b' })).agentId
    const first = registry.snapshot()
    advance(100)
    expect(registry.snapshot()).toBe(first)
    registry.ingestMetrics(b, metrics(b))
    const second = registry.snapshot()
    expect(second).not.toBe(first)
    expect(second[0]).toBe(first[0])
    expect(second[1]).not.toBe(first[1])
    expect(second.map((node) => node.id)).toEqual([a, b])
  })

  it('replaces only the changed view after a lease; snapshots handed out never change', () => {
    const { registry } = setup()
    registry.register(registration({ hostname: 'a' }))
    const b = registry.register(registration({ hostname: 'b' })).agentId
    const first = registry.snapshot()
    const lease = registry.acquire(b)
    const second = registry.snapshot()
    expect(second[0]).toBe(first[0])
    expect([first[1]?.inFlight, second[1]?.inFlight]).toEqual([0, 1])
    lease.release()
    expect(registry.snapshot()[1]?.inFlight).toBe(0)
    expect(second[1]?.inFlight).toBe(1)
  })

  it('builds the same snapshot step by step as at once, whatever the order of changes', () => {
    const hosts = ['a', 'b', 'c', 'd']
    const op = fc.oneof(
      fc.record({ kind: fc.constant('register' as const), host: fc.constantFrom(...hosts) }),
      fc.record({ kind: fc.constant('push' as const), host: fc.constantFrom(...hosts) }),
      fc.record({ kind: fc.constant('acquire' as const), host: fc.constantFrom(...hosts) }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('drain' as const), host: fc.constantFrom(...hosts) }),
      fc.record({ kind: fc.constant('fail' as const), host: fc.constantFrom(...hosts) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2 * TTL_MS }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        // Both registries see every change; only `stepwise` is asked for a snapshot after each one.
        const stepwise = setup()
        const atOnce = setup()
        const leases: [Lease, Lease][] = []
        const handedOut: { views: readonly unknown[]; copy: unknown[] }[] = []
        for (const step of ops) {
          if (step.kind === 'release') {
            for (const lease of leases[step.index % Math.max(1, leases.length)] ?? []) lease.release()
          } else {
            const stepwiseLease = apply(stepwise, step)
            const atOnceLease = apply(atOnce, step)
            if (stepwiseLease !== undefined && atOnceLease !== undefined)
              leases.push([stepwiseLease, atOnceLease])
          }
          const views = stepwise.registry.snapshot()
          handedOut.push({ views, copy: views.map((view) => ({ ...view })) })
          expect(views.map((view) => [view.id, view.inFlight, view.state])).toEqual(
            stepwise.registry.list().map((node) => [node.id, node.inFlight, node.state]),
          )
        }
        expect(stepwise.registry.snapshot()).toEqual(atOnce.registry.snapshot())
        for (const { views, copy } of handedOut) expect(views).toEqual(copy)
      }),
    )
  })
})

describe('NodeRegistry leases, drain and cool-down', () => {
  it('counts in-flight requests exactly; release is idempotent', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    const first = registry.acquire(agentId)
    const second = registry.acquire(agentId)
    expect(viewOf(registry, agentId).inFlight).toBe(2)
    first.release()
    first.release()
    expect(viewOf(registry, agentId).inFlight).toBe(1)
    second.release()
    expect(viewOf(registry, agentId).inFlight).toBe(0)
    expect(registry.get(agentId)?.inFlight).toBe(0)
  })

  it('throws a coded 404 when acquiring an unknown node', () => {
    const { registry } = setup()
    expect(() => registry.acquire('nobody')).toThrow(
      expect.objectContaining({ code: 'FLEET_AGENT_NOT_FOUND', statusCode: 404 }),
    )
  })

  it('removes an idle node at once on drain', () => {
    const { registry, removed } = setup()
    const { agentId } = registry.register(registration())
    expect(registry.drain(agentId)).toBe(true)
    expect(registry.size).toBe(0)
    expect(removed.map((node) => node.id)).toEqual([agentId])
    expect(registry.drain(agentId)).toBe(false)
  })

  it('keeps a draining node until its last in-flight request ends', () => {
    const { registry, removed } = setup()
    const { agentId } = registry.register(registration())
    const first = registry.acquire(agentId)
    const second = registry.acquire(agentId)
    registry.drain(agentId)
    expect(viewOf(registry, agentId).state).toBe('draining')
    first.release()
    expect(registry.size).toBe(1)
    second.release()
    expect(registry.size).toBe(0)
    expect(removed.map((node) => node.id)).toEqual([agentId])
    // A new registration from the same host gets a fresh id after removal.
    expect(registry.register(registration()).created).toBe(true)
  })

  it('cancels a drain when the agent registers again', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    const lease = registry.acquire(agentId)
    registry.drain(agentId)
    registry.register(registration())
    lease.release()
    expect(viewOf(registry, agentId).state).toBe('online')
  })

  it('starts a cool-down on the third failure in a row, once', () => {
    const { registry, advance } = setup()
    const { agentId } = registry.register(registration())
    expect(registry.reportUpstreamFailure(agentId)).toBe(false)
    expect(registry.reportUpstreamFailure(agentId)).toBe(false)
    expect(registry.reportUpstreamFailure(agentId)).toBe(true)
    expect(viewOf(registry, agentId).coolingDownUntilMs).toBe(T0 + 30_000)
    expect(registry.get(agentId)?.coolingDownUntil).toBe(new Date(T0 + 30_000).toISOString())
    expect(registry.reportUpstreamFailure(agentId)).toBe(false)
    advance(30_000)
    expect(registry.get(agentId)?.coolingDownUntil).toBeNull()
  })

  it('resets the failure streak on success', () => {
    const { registry } = setup()
    const { agentId } = registry.register(registration())
    registry.reportUpstreamFailure(agentId)
    registry.reportUpstreamFailure(agentId)
    registry.reportUpstreamSuccess(agentId)
    expect(registry.reportUpstreamFailure(agentId)).toBe(false)
    expect(registry.reportUpstreamFailure(agentId)).toBe(false)
    expect(registry.reportUpstreamFailure(agentId)).toBe(true)
  })
})

describe('NodeRegistry.list', () => {
  it('reports every node in the wire format', () => {
    const { registry, advance } = setup()
    const { agentId } = registry.register(registration())
    advance(1_500)
    registry.ingestMetrics(agentId, metrics(agentId))
    const [node] = registry.list()
    expect(FleetNode.parse(node)).toEqual({
      id: agentId,
      name: 'gpu-a100-01',
      state: 'online',
      registration: registration(),
      metrics: metrics(agentId),
      inFlight: 0,
      computeScore: 2039,
      registeredAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0 + 1_500).toISOString(),
      coolingDownUntil: null,
    })
  })
})

describe('NodeRegistry.sweep', () => {
  it('forgets a node stale for longer than forgetStaleAfterMs, but not one with requests in flight', () => {
    const { registry, removed, advance } = setup({ forgetStaleAfterMs: 60_000 })
    const idle = registry.register(registration({ hostname: 'idle' })).agentId
    const busy = registry.register(registration({ hostname: 'busy' })).agentId
    const lease = registry.acquire(busy)
    registry.reportModelFailure(idle, 'llama3.1:8b')
    advance(TTL_MS + 60_000)
    expect(registry.sweep()).toBe(0)
    advance(1)
    expect(registry.sweep()).toBe(1)
    expect(removed.map((node) => node.id)).toEqual([idle])
    // Nothing of it stays: its per-model streak went with it.
    expect(registry.modelHealthEntries).toBe(0)
    lease.release()
    expect(registry.sweep()).toBe(1)
    expect(registry.size).toBe(0)
  })
})

describe('NodeRegistry per-model health', () => {
  it('cools a node down for one model after failures in a row, and only for that model', () => {
    const { registry, advance } = setup()
    const id = registry.register(registration()).agentId
    expect([1, 2, 3].map(() => registry.reportModelFailure(id, 'a'))).toEqual([false, false, true])
    expect(registry.coolingForModel('a')).toEqual(new Set([id]))
    expect(registry.coolingForModel('b')).toBeNull()
    expect(registry.get(id)?.coolingDownUntil).toBeNull()
    advance(30_001)
    expect(registry.coolingForModel('a')).toBeNull()
    expect(registry.modelHealthEntries).toBe(0)
  })

  it('counts every spelling Ollama accepts for a model as that model, so a new spelling cannot dodge a cool-down', () => {
    const { registry } = setup()
    const id = registry.register(registration()).agentId
    registry.reportModelFailure(id, 'Llama3.1')
    registry.reportModelFailure(id, 'llama3.1:latest')
    expect(registry.reportModelFailure(id, 'LLAMA3.1:LATEST')).toBe(true)
    expect(registry.coolingForModel('llama3.1')).toEqual(new Set([id]))
    expect(registry.modelHealthEntries).toBe(1)
  })

  it('a success for the model ends its streak', () => {
    const { registry } = setup()
    const id = registry.register(registration()).agentId
    registry.reportModelFailure(id, 'a')
    registry.reportModelFailure(id, 'a')
    registry.reportUpstreamSuccess(id, 'a')
    expect(registry.reportModelFailure(id, 'a')).toBe(false)
    expect(registry.coolingForModel('a')).toBeNull()
  })

  it('markModelMissing drops the model from the node until its next push names it', () => {
    const { registry } = setup()
    const id = registry.register(registration({ models: ['a', 'b'] })).agentId
    registry.markModelMissing(id, 'a')
    expect([...viewOf(registry, id).models]).toEqual(['b'])
    registry.ingestMetrics(id, metrics(id, { runtime: { up: true, models: ['a', 'b'], loadedModels: [] } }))
    expect([...viewOf(registry, id).models].sort()).toEqual(['a', 'b'])
  })
})

describe('NodeRegistry.onRegistered', () => {
  it('tells listeners of each registration, first and repeated, without the runtime API key', () => {
    const { registry } = setup()
    const seen: { id: string; slot: number; hasKey: boolean }[] = []
    registry.onRegistered((node) =>
      seen.push({ id: node.id, slot: node.slot, hasKey: 'apiKey' in node.registration.runtime }),
    )
    const withKey = registration({
      runtime: { kind: 'ollama', url: 'http://gpu-1:11434', apiKey: 'sk-secret' },
    })
    const { agentId } = registry.register(withKey)
    registry.register(withKey)
    expect(seen).toEqual([
      { id: agentId, slot: viewOf(registry, agentId).slot, hasKey: false },
      { id: agentId, slot: viewOf(registry, agentId).slot, hasKey: false },
    ])
  })
})
