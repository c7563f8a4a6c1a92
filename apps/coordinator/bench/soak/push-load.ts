/**
 * Simulated agents: registration through `POST /api/agents`, then metrics pushes every interval, spread
 * evenly over the interval (agent i pushes at i/N of it), from one undici Pool. Measures push latency
 * (send to answer) and lag (how late a push left against its schedule: a coordinator that cannot keep up
 * makes responses, and so the pool's queue, fall behind).
 */
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import type { Pool } from 'undici'
import { runOpenLoop } from '../internal/open-loop-load.js'
import { summarizeLatencies } from '../internal/percentiles.js'
import { postJson } from '../internal/post-json.js'

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
        const response = await postJson(pool, '/api/agents', body)
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
  const all: number[] = []
  const windows: PushWindow[] = []
  let windowLatencies: number[] = []
  let windowErrors = 0
  let windowMaxLag = 0
  let errors = 0
  let nextWindowAtMs = windowMs

  const push = async (sequence: number, lagMs: number): Promise<void> => {
    const agent = agents[sequence % agents.length] as SimulatedAgent
    if (lagMs > windowMaxLag) windowMaxLag = lagMs
    const metrics: AgentMetrics = {
      agentId: agent.agentId,
      cpuUsage: 10 + (Math.floor(sequence / agents.length) % 50),
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
    try {
      const response = await postJson(pool, `/api/agents/${agent.agentId}/metrics`, metrics)
      await response.body.dump()
      const latencyMs = performance.now() - sentAt
      if (response.statusCode !== 204) {
        errors++
        windowErrors++
      } else {
        all.push(latencyMs)
        windowLatencies.push(latencyMs)
      }
    } catch {
      // A failed push is what this bench counts, not an error to handle.
      errors++
      windowErrors++
    }
  }

  const closeWindow = (elapsedMs: number): void => {
    if (elapsedMs < nextWindowAtMs) return
    const latencies = summarizeLatencies(windowLatencies)
    const window: PushWindow = {
      atS: Math.round(elapsedMs / 1000),
      pushes: latencies.count,
      errors: windowErrors,
      p50Ms: round(latencies.p50Ms),
      p99Ms: round(latencies.p99Ms),
      maxLagMs: round(windowMaxLag),
    }
    windows.push(window)
    options.onWindow?.(window)
    windowLatencies = []
    windowErrors = 0
    windowMaxLag = 0
    nextWindowAtMs += windowMs
  }

  const run = await runOpenLoop({
    ratePerS: (agents.length * 1000) / intervalMs,
    durationMs,
    send: push,
    onTick: closeWindow,
  })
  const latencies = summarizeLatencies(all)
  return {
    pushes: latencies.count,
    errors,
    pushesPerS: round(latencies.count / (run.elapsedMs / 1000)),
    targetPerS: round((agents.length * 1000) / intervalMs),
    p50Ms: round(latencies.p50Ms),
    p99Ms: round(latencies.p99Ms),
    maxMs: round(latencies.count === 0 ? 0 : latencies.maxMs),
    endLagMs: round(run.endLagMs),
    maxLagMs: round(run.maxLagMs),
    windows,
  }
}

/** Two decimals: the precision the soak prints and stores. */
export function round(value: number): number {
  return Math.round(value * 100) / 100
}
