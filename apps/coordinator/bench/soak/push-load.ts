/**
 * Simulated agents: registration through `POST /api/agents`, then metrics pushes every interval, spread
 * evenly over the interval (agent i pushes at i/N of it), from one undici Pool. Measures push latency
 * (send to answer) and lag (how late a push left against its schedule: a coordinator that cannot keep up
 * makes responses, and so the pool's queue, fall behind).
 */
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import type { Pool } from 'undici'

export interface SimulatedAgent {
  readonly agentId: string
  readonly models: readonly string[]
}

/** Registers `count` agents; agent i advertises `runtimeUrlFor(i)` and `modelsFor(i)`. */
export async function registerAgents(
  pool: Pool,
  count: number,
  runtimeUrlFor: (index: number) => string,
  modelsFor: (index: number) => readonly string[],
  prefix = 'sim',
): Promise<SimulatedAgent[]> {
  const agents: SimulatedAgent[] = []
  const batch = 100
  for (let start = 0; start < count; start += batch) {
    const registered = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, offset) => {
        const index = start + offset
        const models = modelsFor(index)
        const body: AgentRegistration = {
          hostname: `${prefix}-${index}`,
          agentVersion: '0.1.0',
          runtime: { kind: 'openai', url: runtimeUrlFor(index) },
          cpu: { model: 'Simulated CPU', cores: 16 },
          memoryTotalBytes: 64 * 1024 ** 3,
          gpus: [],
          driverVersion: null,
          cudaVersion: null,
          computeScore: 100 + (index % 7),
          maxConcurrency: 512,
          models: [...models],
        }
        const response = await pool.request({
          method: 'POST',
          path: '/api/agents',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        const answer = (await response.body.json()) as { agentId?: unknown }
        if (response.statusCode >= 300 || typeof answer.agentId !== 'string') {
          throw new Error(`registration ${index} answered ${response.statusCode}`)
        }
        return { agentId: answer.agentId, models }
      }),
    )
    agents.push(...registered)
  }
  return agents
}

export interface PushWindow {
  /** Seconds since the load started, at the end of the window. */
  readonly atS: number
  readonly pushes: number
  readonly errors: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxLagMs: number
}

export interface PushLoadResult {
  readonly pushes: number
  readonly errors: number
  readonly pushesPerS: number
  /** The schedule's rate: agents / interval. */
  readonly targetPerS: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** How late the latest pushes left against their schedule, at the end (growing lag = falling behind). */
  readonly endLagMs: number
  readonly maxLagMs: number
  readonly windows: PushWindow[]
}

export interface PushLoadOptions {
  readonly pool: Pool
  readonly agents: readonly SimulatedAgent[]
  readonly intervalMs: number
  readonly durationMs: number
  /** Length of a reporting window (default 10 s). */
  readonly windowMs?: number
  /** Called at the end of each window (the caller samples RSS there). */
  readonly onWindow?: (window: PushWindow) => void
}

export async function runPushLoad(options: PushLoadOptions): Promise<PushLoadResult> {
  const { pool, agents, intervalMs, durationMs } = options
  const windowMs = options.windowMs ?? 10_000
  const spacingMs = intervalMs / agents.length
  const all: number[] = []
  const windows: PushWindow[] = []
  let windowLatencies: number[] = []
  let windowErrors = 0
  let windowMaxLag = 0
  let errors = 0
  let maxLagMs = 0
  let lastLagMs = 0
  let inFlight = 0
  let sent = 0
  const startedAt = performance.now()
  let nextWindowAt = startedAt + windowMs

  const push = (agent: SimulatedAgent, sequence: number): void => {
    const metrics: AgentMetrics = {
      agentId: agent.agentId,
      cpuUsage: 10 + (sequence % 50),
      memoryUsage: 40,
      activeRequests: 0,
      avgResponseTimeMs: null,
      timestamp: new Date().toISOString(),
      gpus: [],
      gpuUsage: null,
      gpuMemoryUsage: null,
      runtime: { up: true, models: [...agent.models], loadedModels: [] },
    }
    const sentAt = performance.now()
    inFlight++
    pool
      .request({
        method: 'POST',
        path: `/api/agents/${agent.agentId}/metrics`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(metrics),
      })
      .then(async (response) => {
        await response.body.dump()
        const latencyMs = performance.now() - sentAt
        if (response.statusCode !== 204) {
          errors++
          windowErrors++
        } else {
          all.push(latencyMs)
          windowLatencies.push(latencyMs)
        }
      })
      .catch(() => {
        errors++
        windowErrors++
      })
      .finally(() => {
        inFlight--
      })
  }

  for (;;) {
    const now = performance.now()
    if (now - startedAt >= durationMs) break
    // Every push due by now leaves now; its lateness is the lag.
    while (startedAt + sent * spacingMs <= now) {
      const agent = agents[sent % agents.length] as SimulatedAgent
      lastLagMs = now - (startedAt + sent * spacingMs)
      if (lastLagMs > maxLagMs) maxLagMs = lastLagMs
      if (lastLagMs > windowMaxLag) windowMaxLag = lastLagMs
      push(agent, Math.floor(sent / agents.length))
      sent++
    }
    if (now >= nextWindowAt) {
      const window: PushWindow = {
        atS: Math.round((now - startedAt) / 1000),
        pushes: windowLatencies.length,
        errors: windowErrors,
        p50Ms: percentile(windowLatencies, 0.5),
        p99Ms: percentile(windowLatencies, 0.99),
        maxLagMs: round(windowMaxLag),
      }
      windows.push(window)
      options.onWindow?.(window)
      windowLatencies = []
      windowErrors = 0
      windowMaxLag = 0
      nextWindowAt += windowMs
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const elapsedS = (performance.now() - startedAt) / 1000
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5))
  return {
    pushes: all.length,
    errors,
    pushesPerS: round(all.length / elapsedS),
    targetPerS: round((agents.length * 1000) / intervalMs),
    p50Ms: percentile(all, 0.5),
    p99Ms: percentile(all, 0.99),
    maxMs: round(all.reduce((max, value) => Math.max(max, value), 0)),
    endLagMs: round(lastLagMs),
    maxLagMs: round(maxLagMs),
    windows,
  }
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return round(sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number)
}

export function round(value: number): number {
  return Math.round(value * 100) / 100
}
