import type { AgentRegistration } from '@llm-fleet/types'
import { AgentMetrics } from '@llm-fleet/types'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { captureLog } from '../test/helpers/capture-log.js'
import {
  defaultHandler,
  type RecordedRequest,
  type StubCoordinator,
  type StubHandler,
  startStubCoordinator,
} from '../test/helpers/stub-coordinator.js'
import { type CoordinatorApi, CoordinatorClient } from './coordinator-client.js'
import { type AgentSample, PushLoop, type PushLoopEnd } from './push-loop.js'

const registration: AgentRegistration = {
  hostname: 'gpu-host-1',
  agentVersion: '0.1.0',
  runtime: { kind: 'ollama', url: 'http://10.0.0.7:11434' },
  cpu: { model: 'AMD EPYC 7763 64-Core Processor', cores: 128 },
  memoryTotalBytes: 512 * 1024 ** 3,
  gpus: [],
  driverVersion: null,
  cudaVersion: null,
  computeScore: 0,
  maxConcurrency: 4,
  models: ['llama3.1:8b'],
}

function sampleAt(nowMs: number): AgentSample {
  return {
    registration,
    metrics: {
      cpuUsage: 12.5,
      memoryUsage: 40,
      activeRequests: 0,
      avgResponseTimeMs: null,
      timestamp: new Date(nowMs).toISOString(),
      gpus: [],
      gpuUsage: null,
      gpuMemoryUsage: null,
      runtime: { up: true, models: ['llama3.1:8b'], loadedModels: [] },
    },
  }
}

/**
 * Drives the loop with a fake clock: `sleep` advances it and records each wait, and stops the loop
 * after `ticks` sleeps. Requests go to a real stub server over real HTTP.
 */
async function runLoop(options: {
  urls: string[]
  ticks: number
  token?: string
  random?: () => number
  /** Fake time each sample and each request takes (the clock moves during a tick, as it does for real). */
  sampleMs?: number
  requestMs?: number
}) {
  let nowMs = 1_000_000
  const sleeps: number[] = []
  const controller = new AbortController()
  const captured = captureLog()
  const loop = new PushLoop({
    coordinators: options.urls.map((url) => {
      const client = new CoordinatorClient({ url, token: options.token, timeoutMs: 2000 })
      const elapse = <T>(result: Promise<T>) =>
        result.then((value) => {
          nowMs += options.requestMs ?? 0
          return value
        })
      return {
        url,
        register: (body, signal) => elapse(client.register(body, signal)),
        pushMetrics: (id, metrics, signal) => elapse(client.pushMetrics(id, metrics, signal)),
        deregister: (id, signal) => elapse(client.deregister(id, signal)),
        probe: (signal) => elapse(client.probe(signal)),
      } satisfies CoordinatorApi
    }),
    takeSample: async () => {
      nowMs += options.sampleMs ?? 0
      return sampleAt(nowMs)
    },
    intervalMs: 2000,
    log: captured.log,
    now: () => nowMs,
    random: options.random ?? (() => 0.5),
    sleep: async (ms) => {
      sleeps.push(ms)
      nowMs += ms
      if (sleeps.length >= options.ticks) controller.abort()
    },
  })
  const end: PushLoopEnd = await loop.run(controller.signal)
  return { end, sleeps, captured, loop }
}

const pushes = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.method === 'POST' && request.path.endsWith('/metrics'))
const registrations = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.method === 'POST' && request.path === '/api/agents')

/**
 * Runs the loop against `coordinator` on a fake clock with the largest jitter (the backoff at its
 * longest). After each sleep `onTime` sees the clock (to change the stub's answers) and says whether
 * to stop. Returns when each registration succeeded and when each probe was sent.
 */
async function runScripted(coordinator: StubCoordinator, onTime: (nowMs: number) => boolean) {
  let nowMs = 0
  const registeredAtMs: number[] = []
  const probedAtMs: number[] = []
  const controller = new AbortController()
  const client = new CoordinatorClient({ url: coordinator.url, timeoutMs: 1000 })
  const loop = new PushLoop({
    coordinators: [
      {
        url: coordinator.url,
        register: async (body, signal) => {
          const outcome = await client.register(body, signal)
          if (outcome.kind === 'ok') registeredAtMs.push(nowMs)
          return outcome
        },
        pushMetrics: (id, metrics, signal) => client.pushMetrics(id, metrics, signal),
        deregister: (id, signal) => client.deregister(id, signal),
        probe: async (signal) => {
          probedAtMs.push(nowMs)
          return client.probe(signal)
        },
      },
    ],
    takeSample: async () => sampleAt(nowMs),
    intervalMs: 2000,
    log: captureLog().log,
    now: () => nowMs,
    random: () => 0.999,
    sleep: async (ms) => {
      nowMs += ms
      if (onTime(nowMs)) controller.abort()
    },
  })
  await loop.run(controller.signal)
  return { registeredAtMs, probedAtMs }
}

/**
 * A coordinator behind `url` whose every answer comes when `delay()` settles (never, for a blackhole),
 * after a first registration that fails at once with a refused connection. Counts what it received.
 */
function fakeCoordinator(url: string, delay: () => Promise<void>) {
  /** `mostAtOnce`: the most requests the agent had open here at the same time. */
  const counts = { registrations: 0, pushes: 0, mostAtOnce: 0 }
  let open = 0
  const answer = async <T>(value: T): Promise<T> => {
    open++
    counts.mostAtOnce = Math.max(counts.mostAtOnce, open)
    try {
      await delay()
      return value
    } finally {
      open--
    }
  }
  const ok = { kind: 'ok' } as const
  const api: CoordinatorApi = {
    url,
    register: async () => {
      if (counts.registrations++ === 0) return { kind: 'unreachable', message: 'connect ECONNREFUSED' }
      return answer({ kind: 'ok', accepted: { agentId: 'agent-2', pushIntervalMs: 500 } } as const)
    },
    pushMetrics: async () => {
      const outcome = await answer(ok)
      counts.pushes++
      return outcome
    },
    deregister: async () => ok,
    probe: () => answer(true),
  }
  return { api, counts }
}

/** Back after one refused registration, and then answering everything in 600 ms. */
const slowCoordinator = () =>
  fakeCoordinator('http://slow', () => new Promise<void>((resolve) => setTimeout(resolve, 600)))

/**
 * Runs the loop for 10 s of fake time beside a live coordinator that answers at once and asks for a
 * push every 500 ms (the agent's own interval is 2 s); each sample takes `sampleMs`. Returns what each
 * of the two received.
 */
async function runBeside(other: ReturnType<typeof fakeCoordinator>, sampleMs = 0) {
  vi.useFakeTimers({ now: 1_000_000 })
  onTestFinished(() => {
    vi.useRealTimers()
  })
  const live = fakeCoordinator('http://live', async () => undefined)
  live.counts.registrations = 1
  const controller = new AbortController()
  const loop = new PushLoop({
    coordinators: [live.api, other.api],
    takeSample: async () => {
      await new Promise((resolve) => setTimeout(resolve, sampleMs))
      return sampleAt(Date.now())
    },
    intervalMs: 2000,
    log: captureLog().log,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  })
  const running = loop.run(controller.signal)
  await vi.advanceTimersByTimeAsync(10_000)
  controller.abort()
  await vi.advanceTimersByTimeAsync(1_000)
  expect(await running).toEqual({ kind: 'stopped' })
  return { live: live.counts, other: other.counts }
}

describe('PushLoop', () => {
  it('registers once, then pushes valid metrics every interval with the bearer token', async () => {
    const coordinator = await startStubCoordinator()
    const { end, sleeps } = await runLoop({ urls: [coordinator.url], ticks: 3, token: 's3cret' })
    expect(end).toEqual({ kind: 'stopped' })
    expect(registrations(coordinator.requests)).toHaveLength(1)
    expect(registrations(coordinator.requests)[0]?.body).toEqual(registration)
    const pushed = pushes(coordinator.requests)
    expect(pushed).toHaveLength(3)
    expect(pushed.every((request) => request.path === '/api/agents/agent-1/metrics')).toBe(true)
    expect(AgentMetrics.parse(pushed[0]?.body).agentId).toBe('agent-1')
    expect(coordinator.requests.every((request) => request.authorization === 'Bearer s3cret')).toBe(true)
    expect(sleeps).toEqual([2000, 2000, 2000])
  })

  it('pushes on every tick even when sampling takes time', async () => {
    const coordinator = await startStubCoordinator()
    const { sleeps } = await runLoop({ urls: [coordinator.url], ticks: 4, sampleMs: 150, requestMs: 20 })
    expect(pushes(coordinator.requests)).toHaveLength(4)
    // The sleep makes up for the time the tick took: one push every 2 s, not every 2.15 s.
    expect(sleeps).toEqual([1810, 1830, 1830, 1830])
  })

  it('adopts the push interval the coordinator answers', async () => {
    const coordinator = await startStubCoordinator((request) =>
      request.path === '/api/agents'
        ? { status: 201, body: { agentId: 'a', pushIntervalMs: 500 } }
        : { status: 204 },
    )
    const { sleeps } = await runLoop({ urls: [coordinator.url], ticks: 3 })
    expect(sleeps).toEqual([500, 500, 500])
    expect(pushes(coordinator.requests)).toHaveLength(3)
  })

  it('retries at the push cadence, then backs off exponentially (capped at 30 s) from a coordinator that refuses, and keeps sampling', async () => {
    // Nothing listens on this port: every attempt is refused.
    const refused = await startStubCoordinator()
    const url = refused.url
    await refused.close()
    let samples = 0
    let nowMs = 0
    const attempts: number[] = []
    const controller = new AbortController()
    const client = new CoordinatorClient({ url, timeoutMs: 1000 })
    const captured = captureLog()
    const loop = new PushLoop({
      coordinators: [
        {
          url,
          register: async (body, signal) => {
            attempts.push(nowMs)
            return client.register(body, signal)
          },
          pushMetrics: (id, metrics, signal) => client.pushMetrics(id, metrics, signal),
          deregister: (id, signal) => client.deregister(id, signal),
          probe: (signal) => client.probe(signal),
        },
      ],
      takeSample: async () => {
        samples += 1
        return sampleAt(nowMs)
      },
      intervalMs: 2000,
      log: captured.log,
      now: () => nowMs,
      random: () => 0.999,
      sleep: async (ms) => {
        nowMs += ms
        if (nowMs > 200_000) controller.abort()
      },
    })
    await loop.run(controller.signal)
    // Sampling went on every 2 s tick although the coordinator was down.
    expect(samples).toBeGreaterThanOrEqual(100)
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? 0))
    // Three retries at the 2 s cadence, then waits of up to 4, 8, 16, 30 … s, rounded up to the tick.
    expect(gaps.slice(0, 6)).toEqual([2000, 2000, 2000, 4000, 8000, 16000])
    expect(Math.max(...gaps)).toBeLessThanOrEqual(32_000)
    expect(gaps.slice(-3).every((gap) => gap >= 30_000)).toBe(true)
    // Logged once, not once per attempt.
    expect(captured.find(/unreachable/)).toHaveLength(1)
  })

  it('finds a restarted coordinator on the next tick after three failed pushes (within two intervals)', async () => {
    let metricsPushes = 0
    const handler: StubHandler = (request) => {
      if (request.path === '/api/agents') {
        return {
          status: 201,
          body: { agentId: metricsPushes === 0 ? 'agent-1' : 'agent-2', pushIntervalMs: 2000 },
        }
      }
      metricsPushes += 1
      // Push 1 lands; pushes 2-4 meet a coordinator that is restarting; push 5 meets the new one.
      if (metricsPushes === 1) return { status: 204 }
      if (metricsPushes <= 4) return { status: 503, body: { message: 'restarting' } }
      if (request.path === '/api/agents/agent-1/metrics')
        return { status: 404, body: { code: 'FLEET_AGENT_NOT_FOUND' } }
      return { status: 204 }
    }
    const coordinator = await startStubCoordinator(handler)
    // The jitter at its largest: a backoff that grew during the outage would skip a tick here.
    const { sleeps } = await runLoop({ urls: [coordinator.url], ticks: 5, random: () => 0.999 })
    expect(coordinator.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /api/agents',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents',
      'POST /api/agents/agent-2/metrics',
    ])
    expect(sleeps).toEqual([2000, 2000, 2000, 2000, 2000])
  })

  it('registers within two intervals of a coordinator coming back after an outage long enough to reach the 30 s backoff cap', async () => {
    const down: StubHandler = () => ({ status: 503, body: { message: 'down' } })
    const coordinator = await startStubCoordinator(down)
    let backAtMs: number | undefined
    const { registeredAtMs, probedAtMs } = await runScripted(coordinator, (nowMs) => {
      // Odd times so the return falls inside a backoff wait rather than on an attempt.
      if (backAtMs === undefined && nowMs >= 201_000) {
        backAtMs = nowMs - 1000
        coordinator.setHandler(defaultHandler)
      }
      return backAtMs !== undefined && nowMs > backAtMs + 20_000
    })
    // While it was down the expensive work backed off to the cap: few registration attempts.
    const attemptsWhileDown = registrations(coordinator.requests).length - registeredAtMs.length
    expect(attemptsWhileDown).toBeLessThan(20)
    // Probes ran at the push cadence meanwhile.
    expect(probedAtMs.filter((at) => at > 100_000 && at < 200_000).length).toBeGreaterThanOrEqual(40)
    expect(backAtMs).toBeDefined()
    expect(registeredAtMs).toHaveLength(1)
    expect((registeredAtMs[0] ?? Number.POSITIVE_INFINITY) - (backAtMs ?? 0)).toBeLessThanOrEqual(2 * 2000)
    expect(pushes(coordinator.requests).length).toBeGreaterThanOrEqual(5)
  })

  it('backs off registering at a coordinator that answers /healthz but refuses registrations with 503', async () => {
    // Up and refusing (a full registry, a shutdown in progress): its /healthz answers 200, which must
    // not cut the backoff short as it does for a coordinator that was unreachable.
    const refusing: StubHandler = (request, index) =>
      request.path === '/api/agents'
        ? { status: 503, body: { message: 'registry full' } }
        : defaultHandler(request, index)
    const coordinator = await startStubCoordinator(refusing)
    await runLoop({ urls: [coordinator.url], ticks: 50 })
    // 50 ticks of 2 s: backing off (2, 2, 2, then doubling to the 30 s cap) allows about 8 attempts;
    // taking every answered /healthz as a reason to try again made one attempt per tick.
    const attempts = registrations(coordinator.requests).length
    expect(coordinator.requests.some((request) => request.path === '/healthz')).toBe(true)
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThan(15)
  })

  it('finds a coordinator within two intervals after it refused, went down behind a front, and came back', async () => {
    // 0-60 s: up and refusing registrations (its /healthz answers). 60-200 s: down behind a front
    // that answers 503 to everything, /healthz included. Then back.
    const refusing: StubHandler = (request, index) =>
      request.path === '/api/agents'
        ? { status: 503, body: { message: 'shutting down' } }
        : defaultHandler(request, index)
    const down: StubHandler = () => ({ status: 503, body: { message: 'no server available' } })
    const coordinator = await startStubCoordinator(refusing)
    let phase: 'refusing' | 'down' | 'back' = 'refusing'
    const { registeredAtMs } = await runScripted(coordinator, (nowMs) => {
      if (phase === 'refusing' && nowMs >= 60_000) {
        phase = 'down'
        coordinator.setHandler(down)
      } else if (phase === 'down' && nowMs >= 201_000) {
        phase = 'back'
        coordinator.setHandler(defaultHandler)
      }
      return nowMs > 230_000
    })
    expect(registeredAtMs).toHaveLength(1)
    expect((registeredAtMs[0] ?? Number.POSITIVE_INFINITY) - 201_000).toBeLessThanOrEqual(2 * 2000)
  })

  it('registers again when the coordinator answers 404 (it restarted and forgot us)', async () => {
    let isRestarted = false
    const handler: StubHandler = (request) => {
      if (request.path === '/api/agents') {
        return { status: 201, body: { agentId: isRestarted ? 'agent-2' : 'agent-1', pushIntervalMs: 2000 } }
      }
      if (request.path === '/api/agents/agent-1/metrics' && pushes([request]).length === 1) {
        if (isRestarted) return { status: 404, body: { statusCode: 404, code: 'FLEET_AGENT_NOT_FOUND' } }
        isRestarted = true
      }
      return { status: 204 }
    }
    const coordinator = await startStubCoordinator(handler)
    await runLoop({ urls: [coordinator.url], ticks: 4 })
    expect(coordinator.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /api/agents',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents/agent-1/metrics',
      'POST /api/agents',
      'POST /api/agents/agent-2/metrics',
      'POST /api/agents/agent-2/metrics',
      'POST /api/agents/agent-2/metrics',
    ])
  })

  it('stops with "unauthorized" on 401 and logs that the token is wrong', async () => {
    const coordinator = await startStubCoordinator(() => ({
      status: 401,
      body: { code: 'FLEET_AUTH_INVALID_TOKEN' },
    }))
    const { end, captured } = await runLoop({ urls: [coordinator.url], ticks: 5, token: 'wrong' })
    expect(end).toEqual({ kind: 'unauthorized', coordinatorUrl: coordinator.url })
    expect(coordinator.requests).toHaveLength(1)
    expect(captured.find(/AGENT_TOKEN is wrong/)).toHaveLength(1)
  })

  it('registers with and pushes to every coordinator independently: one down does not stop the other', async () => {
    const healthy = await startStubCoordinator()
    const broken = await startStubCoordinator(() => ({ status: 503, body: { message: 'restarting' } }))
    await runLoop({ urls: [healthy.url, broken.url], ticks: 4 })
    expect(registrations(healthy.requests)).toHaveLength(1)
    expect(pushes(healthy.requests)).toHaveLength(4)
    expect(pushes(broken.requests)).toHaveLength(0)
    expect(registrations(broken.requests).length).toBeGreaterThanOrEqual(1)
  })

  it('keeps pushing to a live coordinator at its interval while another address swallows every request', async () => {
    // The live coordinator asks for a push every 500 ms; the other address took the first registration
    // down with a refused connection, then accepts every request and never answers (a blackhole, which
    // only the caller's signal ends). Its probe must not hold the ticks: about 20 pushes in 10 s.
    const blackhole = fakeCoordinator('http://blackhole', () => new Promise<never>(() => undefined))
    const { live, other } = await runBeside(blackhole)
    expect(live.pushes).toBeGreaterThanOrEqual(19)
    expect(live.pushes).toBeLessThanOrEqual(21)
    expect(other.pushes).toBe(0)
  })

  it('registers with a coordinator that is back but answers slower than a tick, beside a live one', async () => {
    // After its first refusal every answer takes 600 ms, more than the 500 ms tick: its attempt must not
    // be cut at the tick's end, or it would never register.
    const slow = slowCoordinator()
    const { live, other } = await runBeside(slow)
    expect(live.pushes).toBeGreaterThanOrEqual(19)
    expect(other.registrations).toBeGreaterThanOrEqual(2)
    expect(other.pushes).toBeGreaterThanOrEqual(5)
    // One attempt at a time: a tick does not start another while the last is under way.
    expect(other.mostAtOnce).toBe(1)
  })

  it('ends each tick on time when sampling takes most of it, beside a coordinator slower than a tick', async () => {
    // Sampling takes 300 ms of each 500 ms tick: the slow coordinator gets the 200 ms left, not a
    // whole tick more, so the live one still gets a push about every 500 ms.
    const slow = slowCoordinator()
    const { live, other } = await runBeside(slow, 300)
    expect(live.pushes).toBeGreaterThanOrEqual(19)
    expect(live.pushes).toBeLessThanOrEqual(21)
    expect(other.pushes).toBeGreaterThanOrEqual(3)
    expect(other.mostAtOnce).toBe(1)
  })

  it('deregisters from every coordinator it registered with', async () => {
    const coordinator = await startStubCoordinator()
    const { loop } = await runLoop({ urls: [coordinator.url], ticks: 1 })
    await loop.deregisterAll(2000)
    expect(coordinator.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/agents/agent-1' })
  })

  it('treats an invalid registration answer as rejected, not as a crash', async () => {
    const coordinator = await startStubCoordinator((request) =>
      request.path === '/api/agents' ? { status: 201, body: { agentId: '' } } : { status: 204 },
    )
    const { end, captured } = await runLoop({ urls: [coordinator.url], ticks: 2 })
    expect(end).toEqual({ kind: 'stopped' })
    expect(captured.find(/rejected/)[0]).toMatchObject({ reason: expect.stringMatching(/agentId/) })
  })
})
