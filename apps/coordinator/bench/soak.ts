/**
 * Load and soak of one coordinator (the built `dist/main.js`), all on 127.0.0.1. Not a test, and not
 * run by `pnpm bench` (no `.bench.ts` suffix): it takes minutes.
 *
 *   pnpm --filter @llm-fleet/coordinator exec tsx bench/soak.ts [--minutes 10] [--phase all|push|capacity|streams]
 *
 * - push: 1 000 simulated agents push metrics every second (spread evenly over the second) while the
 *   coordinator proxies streaming requests to mock runtimes; prints pushes/s, push p50/p99 and the
 *   coordinator's RSS every 10 s. Target: push p99 under 10 ms, no growing lag, flat RSS.
 * - capacity: at a 2 s interval, ramps the agent count until push p99 passes 10 ms or pushes fall
 *   behind; the last count that held is the capacity. Each step runs `--attempts` times and is judged
 *   on the median attempt (see soak/capacity-step.ts).
 * - streams: 2 000 concurrent streams through the coordinator, each checked to be exactly its own
 *   answer; prints the coordinator's RSS per open stream.
 *
 * Writes bench/results/soak.json (push, streams) and bench/results/capacity.json. The load generator
 * shares the machine with the coordinator and the mock runtimes, so the numbers are this machine's,
 * client included. Each result records the settings it ran with (`settings`, and `shortened` when
 * they differ from the defaults) and the machine (`machine`: cores, CPU, memory, Node, load average).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { percentile } from './internal/percentiles.js'
import { type CapacityAttempt, type CapacityStep, summarizeStep } from './soak/capacity-step.js'
import {
  type ChildHandle,
  type CoordinatorHandle,
  startBackgroundStreams,
  startCoordinator,
  startMockFleet,
} from './soak/processes.js'
import { registerAgents, round, runPushLoad } from './soak/push-load.js'
import { planStreams, runStream, type StreamOutcome } from './soak/stream-clients.js'

const SOAK_FILE = fileURLToPath(new URL('../../../bench/results/soak.json', import.meta.url))
const CAPACITY_FILE = fileURLToPath(new URL('../../../bench/results/capacity.json', import.meta.url))
/** The model the mock runtimes serve; simulated agents advertise another, so they never get traffic. */
const STREAM_MODEL = 'soak-model'
const SIMULATED_MODEL = 'simulated-only'
/** An address nothing listens on: simulated agents advertise it, and no request is ever sent there. */
const NOWHERE_URL = 'http://127.0.0.1:9'
const P99_TARGET_MS = 10
const RSS_SAMPLE_MS = 10_000
/** The coordinator's `MAX_NODES` in every phase: far above any agent count the ramp reaches. */
const MAX_NODES = 100_000
const CAPACITY_INTERVAL_MS = 2000
const CAPACITY_STEPS = [
  1000, 2000, 4000, 6000, 8000, 12_000, 16_000, 20_000, 24_000, 28_000, 32_000, 40_000, 48_000, 64_000,
]

const DEFAULTS = {
  minutes: '10',
  agents: '1000',
  streams: '2000',
  'background-streams': '32',
  'step-seconds': '20',
  attempts: '3',
  'max-agents': String(CAPACITY_STEPS.at(-1)),
} as const
type NumericOption = keyof typeof DEFAULTS

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: DEFAULTS.minutes },
    agents: { type: 'string', default: DEFAULTS.agents },
    streams: { type: 'string', default: DEFAULTS.streams },
    'background-streams': { type: 'string', default: DEFAULTS['background-streams'] },
    'step-seconds': { type: 'string', default: DEFAULTS['step-seconds'] },
    attempts: { type: 'string', default: DEFAULTS.attempts },
    'max-agents': { type: 'string', default: DEFAULTS['max-agents'] },
    phase: { type: 'string', default: 'all' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
const USAGE = `usage: tsx bench/soak.ts [--phase all|push|capacity|streams] [--minutes 10] [--agents 1000]
                          [--background-streams 32] [--streams 2000]
                          [--step-seconds 20] [--attempts 3] [--max-agents 64000]
  push      --agents agents push every 1 s for --minutes beside --background-streams streams
  capacity  agents at a 2 s interval, ramped until push p99 passes ${P99_TARGET_MS} ms; each step
            (up to --max-agents) runs --attempts times for --step-seconds and counts its median attempt
  streams   --streams concurrent streams, each checked to be exactly its own
Needs the built coordinator (pnpm --filter @llm-fleet/coordinator build). Writes bench/results/soak.json
and bench/results/capacity.json, with the settings they ran with; a run with other than the defaults is
marked "shortened": true.`
const phase = values.phase
const machine = {
  cores: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round(totalmem() / 1024 ** 3),
  node: process.version,
  /** The 1-minute load average when the run started: the machine is shared. */
  loadAverage1m: round(loadavg()[0] ?? 0),
}

/** A numeric option as a positive number, or exit 2 naming it. */
function option(name: NumericOption): number {
  const text = String(values[name])
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`soak: --${name} must be a positive number, got "${text}"\n${USAGE}`)
    process.exit(2)
  }
  return value
}

/** Whether any of `names` was run with other than its default (a shortened or otherwise custom run). */
function isCustom(...names: NumericOption[]): boolean {
  return names.some((name) => option(name) !== Number(DEFAULTS[name]))
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`)
}

function writeResult(file: string, key: string | null, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  const existing: Record<string, unknown> =
    key !== null && existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
      : {}
  // soak.json's phases run separately: each keeps the machine (and its load) it ran on; the top-level
  // `machine` is the latest run's.
  const next =
    key === null
      ? value
      : { ...existing, machine, [key]: { ...(value as object), machine, at: new Date().toISOString() } }
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`)
}

async function withFleet<T>(
  env: Record<string, string>,
  runtimes: number,
  tokensPerS: number,
  run: (coordinator: CoordinatorHandle, mocks: ChildHandle & { urls: string[] }) => Promise<T>,
): Promise<T> {
  const mocks = await startMockFleet(runtimes, tokensPerS, STREAM_MODEL)
  const coordinator = await startCoordinator({ MAX_NODES: String(MAX_NODES), ...env })
  try {
    return await run(coordinator, mocks)
  } finally {
    await coordinator.stop()
    await mocks.stop()
  }
}

/** (a) 1 000 agents at 1 s with streaming traffic beside them, for `--minutes`. */
async function pushSoak(): Promise<void> {
  const agentCount = option('agents')
  const durationMs = option('minutes') * 60_000
  const backgroundStreams = option('background-streams')
  log(
    `push soak: ${agentCount} agents every 1 s for ${values.minutes} min, ${backgroundStreams} streams running`,
  )
  const result = await withFleet({ PUSH_INTERVAL_MS: '1000' }, 4, 50, async (coordinator, mocks) => {
    const agentPool = new Pool(coordinator.url, { connections: 64 })
    // The first agents are the mock runtimes' nodes (they push too, or they would turn stale).
    const agents = await registerAgents(
      agentPool,
      agentCount,
      (index) => mocks.urls[index] ?? NOWHERE_URL,
      (index) => (index < mocks.urls.length ? [STREAM_MODEL] : [SIMULATED_MODEL]),
    )
    const streams = startBackgroundStreams(coordinator.url, backgroundStreams, STREAM_MODEL)
    const rss: { atS: number; rssMiB: number; cpuPct: number }[] = []
    let lastCpuS = coordinator.cpuSeconds()
    const sample = (atS: number) => {
      const cpuS = coordinator.cpuSeconds()
      rss.push({
        atS,
        rssMiB: round(coordinator.rssMiB()),
        cpuPct: round(((cpuS - lastCpuS) * 100_000) / RSS_SAMPLE_MS),
      })
      lastCpuS = cpuS
    }
    sample(0)
    const pushes = await runPushLoad({
      pool: agentPool,
      agents,
      intervalMs: 1000,
      durationMs,
      windowMs: RSS_SAMPLE_MS,
      onWindow(window) {
        sample(window.atS)
        const last = rss.at(-1)
        log(
          `t=${window.atS}s pushes=${window.pushes} errors=${window.errors} p50=${window.p50Ms}ms p99=${window.p99Ms}ms lag=${window.maxLagMs}ms rss=${last?.rssMiB}MiB cpu=${last?.cpuPct}%`,
        )
      },
    })
    const streamCounts = await streams.stop()
    await agentPool.close()
    return { pushes, rss, streamCounts }
  })
  const { pushes, rss, streamCounts } = result
  const firstMinute = rss.filter((point) => point.atS > 0 && point.atS <= 60)
  const lastMinute = rss.filter((point) => point.atS > (rss.at(-1)?.atS ?? 0) - 60)
  const mean = (points: typeof rss) =>
    round(points.reduce((sum, point) => sum + point.rssMiB, 0) / Math.max(1, points.length))
  const summary = {
    settings: {
      agents: agentCount,
      intervalMs: 1000,
      minutes: option('minutes'),
      backgroundStreams,
      maxNodes: MAX_NODES,
      mockRuntimes: 4,
      windowMs: RSS_SAMPLE_MS,
    },
    shortened: isCustom('agents', 'minutes', 'background-streams'),
    agents: agentCount,
    intervalMs: 1000,
    minutes: option('minutes'),
    pushesPerS: pushes.pushesPerS,
    targetPushesPerS: pushes.targetPerS,
    pushErrors: pushes.errors,
    pushP50Ms: pushes.p50Ms,
    pushP99Ms: pushes.p99Ms,
    // The whole run's p99 holds every stall of a shared machine; the typical 10-s window says more.
    medianWindowP99Ms: percentile(
      pushes.windows.map((window) => window.p99Ms).sort((a, b) => a - b),
      0.5,
    ),
    pushMaxMs: pushes.maxMs,
    maxLagMs: pushes.maxLagMs,
    endLagMs: pushes.endLagMs,
    isP99UnderTarget: pushes.p99Ms < P99_TARGET_MS,
    rssFirstMinuteMiB: mean(firstMinute),
    rssLastMinuteMiB: mean(lastMinute),
    backgroundStreams: streamCounts,
    rssOverTime: rss,
    windows: pushes.windows,
  }
  log(
    `push soak: ${summary.pushesPerS} pushes/s (target ${summary.targetPushesPerS}), p50 ${summary.pushP50Ms} ms, p99 ${summary.pushP99Ms} ms, max lag ${summary.maxLagMs} ms; RSS ${summary.rssFirstMinuteMiB} MiB (first minute) → ${summary.rssLastMinuteMiB} MiB (last minute); streams ${JSON.stringify(streamCounts)}`,
  )
  writeResult(SOAK_FILE, 'push', summary)
}

/** (b) The most agents one coordinator holds at a 2 s interval. */
async function capacity(): Promise<void> {
  const intervalMs = CAPACITY_INTERVAL_MS
  const stepMs = option('step-seconds') * 1000
  const attempts = option('attempts')
  const steps = CAPACITY_STEPS.filter((count) => count <= option('max-agents'))
  const connections = 128
  log(
    `capacity: agents at a ${intervalMs} ms interval, ${stepMs / 1000} s × ${attempts} attempts per step (median counts), up to ${steps.at(-1)} agents, until p99 > ${P99_TARGET_MS} ms or pushes fall behind`,
  )
  const results = await withFleet({ PUSH_INTERVAL_MS: String(intervalMs) }, 1, 50, async (coordinator) => {
    const pool = new Pool(coordinator.url, { connections })
    const rows: CapacityStep[] = []
    const agents: Awaited<ReturnType<typeof registerAgents>> = []
    for (const count of steps) {
      const more = await registerAgents(
        pool,
        count - agents.length,
        () => NOWHERE_URL,
        () => [SIMULATED_MODEL],
        `cap${count}`,
      )
      agents.push(...more)
      const runs: CapacityAttempt[] = []
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const cpuBefore = coordinator.cpuSeconds()
        const run = await runPushLoad({ pool, agents, intervalMs, durationMs: stepMs, windowMs: stepMs + 1 })
        runs.push({
          attempt,
          pushesPerS: run.pushesPerS,
          targetPerS: run.targetPerS,
          p50Ms: run.p50Ms,
          p99Ms: run.p99Ms,
          maxLagMs: run.maxLagMs,
          errors: run.errors,
          rssMiB: round(coordinator.rssMiB()),
          cpuPct: round(((coordinator.cpuSeconds() - cpuBefore) * 100_000) / stepMs),
        })
        log(`capacity: ${count} agents, attempt ${attempt}: ${JSON.stringify(runs.at(-1))}`)
      }
      const step = summarizeStep(count, runs, { p99TargetMs: P99_TARGET_MS, intervalMs })
      log(
        `capacity: ${count} agents: median p99 ${step.p99Ms} ms [${step.p99MinMs}-${step.p99MaxMs}], ${step.pushesPerS}/${step.targetPerS} pushes/s: ${step.holds ? 'holds' : 'does not hold'}`,
      )
      rows.push(step)
      if (!step.holds) break
    }
    await pool.close()
    return rows
  })
  const held = results.filter((row) => row.holds)
  const maxAgents = held.at(-1)?.agents ?? 0
  const reachedLastStep = results.length === steps.length && results.at(-1)?.holds === true
  log(
    `capacity: ${maxAgents} agents held at a 2 s interval (median attempt: p99 ≤ ${P99_TARGET_MS} ms, no lag)${reachedLastStep ? ', the last step tried: the limit is higher' : ''}`,
  )
  writeResult(CAPACITY_FILE, null, {
    machine,
    settings: {
      intervalMs,
      stepSeconds: stepMs / 1000,
      attempts,
      // The ramp's cap (--max-agents), not its result (maxAgents below).
      rampUpToAgents: option('max-agents'),
      steps,
      maxNodes: MAX_NODES,
      poolConnections: connections,
      verdict: 'median attempt per step',
    },
    shortened: isCustom('step-seconds', 'attempts', 'max-agents'),
    intervalMs,
    p99TargetMs: P99_TARGET_MS,
    maxAgents,
    /** True when every step held: the capacity is at least `maxAgents`, not at most. */
    isLowerBound: reachedLastStep,
    steps: results,
    at: new Date().toISOString(),
  })
}

/** (c) 2 000 concurrent streams, each checked to be its own. */
async function concurrentStreams(): Promise<void> {
  const count = option('streams')
  // 8 runtimes × 512 slots, 256 upstream connections per node: every stream is open at once, upstream too.
  const runtimes = 8
  log(`streams: ${count} concurrent streams over ${runtimes} mock runtimes`)
  const plans = planStreams(count, 30, 89, 'concurrent')
  const result = await withFleet({ PUSH_INTERVAL_MS: '600000' }, runtimes, 10, async (coordinator, mocks) => {
    const pool = new Pool(coordinator.url, { connections: count + 16 })
    await registerAgents(
      pool,
      runtimes,
      (index) => mocks.urls[index] ?? NOWHERE_URL,
      () => [STREAM_MODEL],
      'stream-node',
    )
    // Warm up (JIT, pools), then settle: the baseline is the coordinator idle after real traffic.
    const warmup = await Promise.all(
      planStreams(40, 2, 3, 'warmup').map((plan) => runStream(pool, plan, STREAM_MODEL)),
    )
    if (warmup.some((outcome) => outcome !== 'ok'))
      throw new Error(`warm-up streams failed: ${warmup.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const baselineMiB = coordinator.rssMiB()
    let peakMiB = baselineMiB
    const sampler = setInterval(() => {
      peakMiB = Math.max(peakMiB, coordinator.rssMiB())
    }, 100)
    const startedAt = performance.now()
    const outcomes = await Promise.all(plans.map((plan) => runStream(pool, plan, STREAM_MODEL)))
    const elapsedS = (performance.now() - startedAt) / 1000
    clearInterval(sampler)
    await pool.close()
    const counts: Record<StreamOutcome, number> = { ok: 0, lost: 0, 'mixed-up': 0 }
    for (const outcome of outcomes) counts[outcome]++
    return { counts, baselineMiB: round(baselineMiB), peakMiB: round(peakMiB), elapsedS: round(elapsedS) }
  })
  const perStreamKiB = round(((result.peakMiB - result.baselineMiB) * 1024) / count)
  const summary = {
    settings: { streams: count, mockRuntimes: runtimes, tokensPerS: 10, maxNodes: MAX_NODES },
    shortened: isCustom('streams'),
    streams: count,
    ...result.counts,
    ...result,
    counts: undefined,
    perStreamKiB,
  }
  log(
    `streams: ${JSON.stringify(result.counts)} in ${result.elapsedS} s; RSS ${result.baselineMiB} → ${result.peakMiB} MiB: ${perStreamKiB} KiB per open stream`,
  )
  writeResult(SOAK_FILE, 'streams', summary)
}

if (values.help) console.log(USAGE)
else {
  // Every setting is checked before any phase runs: a typo must not cost a finished phase.
  for (const name of Object.keys(DEFAULTS) as NumericOption[]) option(name)
  if (!['all', 'push', 'capacity', 'streams'].includes(phase)) {
    console.error(`soak: --phase must be all, push, capacity or streams, got "${phase}"\n${USAGE}`)
    process.exit(2)
  }
  if (phase === 'all' || phase === 'streams') await concurrentStreams()
  if (phase === 'all' || phase === 'capacity') await capacity()
  if (phase === 'all' || phase === 'push') await pushSoak()
}
