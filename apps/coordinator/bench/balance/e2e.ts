/**
 * The balancing comparison end to end on this machine, smaller: the real coordinator (`buildApp`,
 * in-process), one mock runtime per simulated host with the same profiles sped up by SPEED_SCALE, fake
 * agents that register and push metrics through the real agent API, and a Poisson load generator
 * sending non-streaming `/v1/chat/completions` through the real proxy. Prints p50/p95 per strategy
 * next to the simulation's and whether the two order the strategies the same way.
 *
 * Run: `pnpm --filter @llm-fleet/mock-runtime build && pnpm exec tsx bench/balance/e2e.ts` (~2 minutes).
 */
import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type MockRuntime, outputLengthTokens, seededRandom, startMockRuntime } from '@llm-fleet/mock-runtime'
import { type AgentMetrics, RegistrationAccepted } from '@llm-fleet/types'
import { Agent, request } from 'undici'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { BalancerMode } from '../../src/core/balancer/strategies.js'
import { createBalancerState } from '../../src/core/balancer/strategy.js'
import { NodeRegistry } from '../../src/registry/node-registry.js'
import { COMPARED_STRATEGIES, type ComparedStrategy } from './compared-strategies.js'
import { defaultFleet, fleetCapacityPerS, pickModel, type SimHost, simulatedRegistration } from './fleet.js'
import { percentile, simulate } from './simulate.js'

/** Every speed × this (tokens/s up, TTFT down): a simulated minute takes 30 s here. */
const SPEED_SCALE = 2
/** Agents push this often, so metrics stay as stale relative to service times as the simulation's 2 s. */
const PUSH_INTERVAL_MS = 2_000 / SPEED_SCALE
const GPU_SAMPLE_MS = 50
const ARRIVALS_S = 12
/** Requests sent in the first seconds only warm the queues up, as in the simulation. */
const WARMUP_S = 2
/**
 * After the last arrival, requests still running after this long are aborted; their latency is only
 * known to exceed the time they ran, so percentiles that include them are printed as lower bounds.
 */
const GRACE_S = 8
const MODES: readonly BalancerMode[] = ['round-robin', 'spec', 'fastest-finish']
const SEED = 20_261_124

const { values } = parseArgs({ options: { loads: { type: 'string', default: '0.5,0.85' } } })
const loads = (values.loads ?? '').split(',').map(Number)

interface Outcome {
  /** Sorted; an aborted request counts with the time it ran until the deadline (a lower bound). */
  readonly latenciesMs: number[]
  readonly aborted: number
  readonly failed: number
  readonly shareByClass: Record<string, number>
}

function strategyFor(mode: BalancerMode): ComparedStrategy {
  const strategy = COMPARED_STRATEGIES.find((candidate) => candidate.name === mode)
  if (strategy === undefined) throw new Error(`no compared strategy ${mode}`)
  return strategy
}

/** A fake agent: registers, then pushes what the runtime reports, like the real agent's push loop. */
function startFakeAgent(coordinatorUrl: string, host: SimHost, runtime: MockRuntime, dispatcher: Agent) {
  const controller = new AbortController()
  const done = (async () => {
    const response = await request(`${coordinatorUrl}/api/agents`, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(simulatedRegistration(host, runtime.url, 'e2e')),
    })
    const accepted = RegistrationAccepted.parse(await response.body.json())
    let samples = 0
    let busySamples = 0
    let nextPushMs = performance.now() + Math.random() * accepted.pushIntervalMs
    while (!controller.signal.aborted) {
      await sleep(GPU_SAMPLE_MS, undefined, { signal: controller.signal }).catch(() => undefined)
      samples++
      if (runtime.stats().active > 0) busySamples++
      if (performance.now() < nextPushMs || controller.signal.aborted) continue
      nextPushMs += accepted.pushIntervalMs
      const busyShare = busySamples / samples
      samples = 0
      busySamples = 0
      const stats = runtime.stats()
      const metrics: AgentMetrics = {
        agentId: accepted.agentId,
        cpuUsage: 5 + (100 * busyShare) / host.cpuCores,
        memoryUsage: 30,
        activeRequests: stats.active + stats.queued,
        avgResponseTimeMs: null,
        timestamp: new Date().toISOString(),
        gpus: [],
        gpuUsage: 97 * busyShare,
        gpuMemoryUsage: 40,
        runtime: { up: true, models: [...host.models], loadedModels: [...host.models] },
      }
      const pushed = await request(`${coordinatorUrl}/api/agents/${accepted.agentId}/metrics`, {
        dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metrics),
      })
      await pushed.body.dump()
      if (pushed.statusCode !== 204) throw new Error(`metrics push answered ${pushed.statusCode}`)
    }
  })()
  return { stop: () => controller.abort(), done }
}

async function runOnce(mode: BalancerMode, load: number, hosts: readonly SimHost[]): Promise<Outcome> {
  const runtimes = await Promise.all(
    hosts.map((host) =>
      startMockRuntime({
        kind: 'ollama',
        profile: host.profile,
        models: host.models,
        speedScale: SPEED_SCALE,
      }),
    ),
  )
  const config = loadConfig({
    env: { PORT: '0', LOAD_BALANCER_MODE: mode, PUSH_INTERVAL_MS: String(PUSH_INTERVAL_MS) },
    argv: [],
  })
  const registry = new NodeRegistry({
    clock: Date.now,
    ttlMs: config.agentTtlMs,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log: { info() {}, warn() {} },
  })
  const app = await buildApp(
    { registry, balancerState: createBalancerState(Math.random, { mode }), clock: Date.now },
    config,
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const coordinatorUrl = `http://127.0.0.1:${address.port}`
  const dispatcher = new Agent({ connections: 4_096, keepAliveTimeout: 10_000 })
  const agents = hosts.map((host, index) =>
    startFakeAgent(coordinatorUrl, host, runtimes[index] as MockRuntime, dispatcher),
  )
  const classByNode = new Map(hosts.map((host) => [host.name, host.gpuClass]))
  // Wait for the first pushes, so every strategy starts from a registered fleet with fresh metrics.
  await sleep(PUSH_INTERVAL_MS * 1.5)

  const random = seededRandom(SEED + Math.round(load * 100))
  const ratePerMs = (load * fleetCapacityPerS(hosts) * SPEED_SCALE) / 1000
  const deadline = new AbortController()
  // Every request in flight listens on the one deadline signal.
  setMaxListeners(Number.POSITIVE_INFINITY, deadline.signal)
  const latencies: number[] = []
  const counts: Record<string, number> = {}
  const abortedRanMs: number[] = []
  let failed = 0
  const inFlight: Promise<void>[] = []
  const send = async (index: number, isMeasured: boolean) => {
    const model = pickModel(random)
    const maxTokens = outputLengthTokens(Math.floor(random() * 4_294_967_296))
    const startedMs = performance.now()
    try {
      const response = await request(`${coordinatorUrl}/v1/chat/completions`, {
        dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          max_tokens: maxTokens,
          messages: [{ role: 'user', content: `q${index}` }],
        }),
        signal: deadline.signal,
      })
      await response.body.text()
      if (response.statusCode !== 200) {
        failed++
        return
      }
      if (!isMeasured) return
      latencies.push(performance.now() - startedMs)
      const gpuClass = classByNode.get(String(response.headers['x-fleet-node'] ?? '')) ?? 'unknown'
      counts[gpuClass] = (counts[gpuClass] ?? 0) + 1
    } catch (error) {
      if (!deadline.signal.aborted) throw error
      if (isMeasured) abortedRanMs.push(performance.now() - startedMs)
    }
  }

  const startMs = performance.now()
  let nextMs = 0
  let index = 0
  while (nextMs < ARRIVALS_S * 1000) {
    const elapsedMs = performance.now() - startMs
    while (nextMs <= elapsedMs && nextMs < ARRIVALS_S * 1000) {
      inFlight.push(send(index++, nextMs >= WARMUP_S * 1000))
      nextMs += -Math.log(1 - random()) / ratePerMs
    }
    await sleep(Math.max(0, Math.min(20, nextMs - elapsedMs)))
  }
  const grace = sleep(GRACE_S * 1000).then(() => deadline.abort())
  await Promise.all(inFlight)
  deadline.abort()
  await grace

  for (const agent of agents) agent.stop()
  await Promise.all(agents.map((agent) => agent.done))
  await app.close()
  await Promise.all(runtimes.map((runtime) => runtime.close()))
  await dispatcher.close()

  const aborted = abortedRanMs.length
  const measured = latencies.length + aborted
  const shareByClass: Record<string, number> = {}
  for (const [gpuClass, count] of Object.entries(counts)) shareByClass[gpuClass] = count / measured
  const all = [...latencies, ...abortedRanMs].sort((a, b) => a - b)
  return { latenciesMs: all, aborted, failed, shareByClass }
}

/** Pairs the e2e run orders strictly one way that the simulation orders the other way. */
function disagreements(e2e: Map<string, number>, sim: Map<string, number>): string[] {
  const found: string[] = []
  for (const a of MODES) {
    for (const b of MODES) {
      const e2eA = e2e.get(a) ?? Number.NaN
      const e2eB = e2e.get(b) ?? Number.NaN
      if (e2eA < e2eB && !((sim.get(a) ?? Number.NaN) < (sim.get(b) ?? Number.NaN))) found.push(`${a} < ${b}`)
    }
  }
  return found
}

const hosts = defaultFleet()
const format = (ms: number, isLowerBound = false) => `${isLowerBound ? '≥ ' : ''}${(ms / 1000).toFixed(2)} s`
console.log(
  `e2e: coordinator + ${hosts.length} mock runtimes at speed ×${SPEED_SCALE}, ${ARRIVALS_S} s of Poisson arrivals per point (first ${WARMUP_S} s not measured), pushes every ${PUSH_INTERVAL_MS} ms`,
)
let isAllAgreed = true
for (const load of loads) {
  const e2eP95 = new Map<string, number>()
  const simP95 = new Map<string, number>()
  console.log(
    `\nload ${Math.round(load * 100)} % (${(load * fleetCapacityPerS(hosts) * SPEED_SCALE).toFixed(0)} req/s)`,
  )
  console.log(
    `${'strategy'.padEnd(16)}${'e2e p50'.padStart(10)}${'e2e p95'.padStart(10)}${'sim p50'.padStart(10)}${'sim p95'.padStart(10)}  done/aborted/failed  completed on each GPU class (share of measured)`,
  )
  for (const mode of MODES) {
    const outcome = await runOnce(mode, load, hosts)
    const sim = simulate({
      hosts,
      strategy: strategyFor(mode),
      load,
      requests: 10_000,
      warmupRequests: 1_000,
      seed: SEED + Math.round(load * 100),
      pushIntervalMs: 2_000,
    })
    // The simulation runs at speed 1: its latencies divided by the scale compare with the e2e ones.
    const p50 = percentile(outcome.latenciesMs, 0.5)
    const p95 = percentile(outcome.latenciesMs, 0.95)
    // A lower bound only orders a strategy after the ones measured below it.
    e2eP95.set(mode, outcome.aborted > 0 ? Number.POSITIVE_INFINITY : p95)
    simP95.set(mode, sim.p95Ms / SPEED_SCALE)
    const shares = Object.entries(outcome.shareByClass)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([gpuClass, share]) => `${gpuClass} ${Math.round(share * 100)}%`)
      .join(', ')
    console.log(
      `${mode.padEnd(16)}${format(p50, outcome.aborted > 0).padStart(10)}${format(p95, outcome.aborted > 0).padStart(10)}${format(sim.p50Ms / SPEED_SCALE).padStart(10)}${format(sim.p95Ms / SPEED_SCALE).padStart(10)}  ${`${outcome.latenciesMs.length - outcome.aborted}/${outcome.aborted}/${outcome.failed}`.padEnd(20)} ${shares}`,
    )
  }
  const disagreeing = disagreements(e2eP95, simP95)
  if (disagreeing.length > 0) isAllAgreed = false
  console.log(
    disagreeing.length === 0
      ? 'p95 ordering agrees with the simulation'
      : `p95 ordering differs from the simulation: e2e says ${disagreeing.join(', ')}`,
  )
}
console.log(
  `\n${isAllAgreed ? 'e2e and simulation agree on the ordering at every load' : 'e2e and simulation disagree somewhere'}`,
)
