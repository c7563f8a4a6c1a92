/**
 * `pnpm bench:ha`: several coordinators as one, behind the shipped HAProxy config, with real agents
 * and mock runtimes. Measures a planned restart (SIGTERM, then start), a crash with a 60 s outage
 * (agents at their default 30 s max backoff), how far shared accounting lets a node exceed its
 * maxConcurrency, and median latency in spec mode at 9 and 14 clients, one coordinator against two
 * sharing load through redis-server. Prints a table and writes bench/results/ha.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { HaFleet, type HaFleetOptions } from '../src/ha-fleet.js'
import { median, type RequestOutcome, startLoad } from '../src/ha-load.js'
import { renderHaTable, replaceHaTable } from '../src/ha-results-table.js'
import { pollUntil } from '../src/poll-until.js'
import { REPO_ROOT } from '../src/repo-paths.js'
import { DEMO_HOSTS } from '../src/simulated-host.js'

const PUSH_INTERVAL_MS = 2000
const TOKENS = 64
const SPEED_SCALE = 2
const CRASH_OUTAGE_MS = Number(process.env.HA_BENCH_OUTAGE_MS ?? 60_000)
const RUNS = Number(process.env.HA_BENCH_RUNS ?? 3)
const LATENCY_LOAD_MS = 8000
const CLIENT_COUNTS = [9, 14] as const

interface Spread {
  median: number
  min: number
  max: number
  runs: number[]
}

const spread = (runs: number[]): Spread => ({
  median: median(runs),
  min: Math.min(...runs),
  max: Math.max(...runs),
  runs,
})

function options(coordinators: number, sharedState: boolean): HaFleetOptions {
  return {
    repoRoot: REPO_ROOT,
    hosts: DEMO_HOSTS,
    coordinators,
    front: 'haproxy',
    sharedState,
    speedScale: SPEED_SCALE,
    pushIntervalMs: PUSH_INTERVAL_MS,
    shutdownReadyGraceMs: 3000,
    env: process.env,
    startTimeoutMs: 60_000,
  }
}

const failed = (outcomes: readonly RequestOutcome[]) => outcomes.filter((outcome) => !outcome.isOk).length

async function loadDuring(fleet: HaFleet, clients: number, event: () => Promise<void>) {
  const load = startLoad({ url: fleet.frontUrl, clients, tokens: TOKENS })
  await pollUntil(async () => (load.outcomes.length >= clients ? true : undefined), {
    what: 'load',
    timeoutMs: 30_000,
  })
  await event()
  const after = load.outcomes.length
  await pollUntil(async () => (load.outcomes.length >= after + clients * 2 ? true : undefined), {
    what: 'requests after the event',
    timeoutMs: 60_000,
  })
  return load.stop()
}

async function plannedRestart(fleet: HaFleet): Promise<number> {
  const outcomes = await loadDuring(fleet, 6, async () => {
    await fleet.stopCoordinator(0, 'SIGTERM')
    await fleet.startCoordinator(0)
    await fleet.waitReady(0, 60_000)
    await fleet.waitAllInRotation(60_000)
  })
  return failed(outcomes)
}

async function crash(fleet: HaFleet) {
  let inFlight = 0
  let rejoinMs = 0
  const outcomes = await loadDuring(fleet, 6, async () => {
    inFlight = await fleet.crashCoordinator(1)
    await new Promise((done) => setTimeout(done, CRASH_OUTAGE_MS))
    await fleet.startCoordinator(1)
    const listeningAt = performance.now()
    rejoinMs = (await fleet.waitAllNodesOnline(1, 120_000)) - listeningAt
    await fleet.waitReady(1, 60_000)
    await fleet.waitAllInRotation(60_000)
  })
  return { failed: failed(outcomes), inFlight, rejoinMs: Math.round(rejoinMs) }
}

/** Median latency of streamed and plain requests at `clients`, and the most a node went over its limit. */
async function latency(fleet: HaFleet, clients: number) {
  await fleet.waitAllInRotation(60_000)
  await fleet.resetPeaks()
  const load = startLoad({ url: fleet.frontUrl, clients, tokens: TOKENS })
  await new Promise((done) => setTimeout(done, LATENCY_LOAD_MS))
  const outcomes = await load.stop()
  const peaks = await fleet.peaks()
  let overLimit = Number.NEGATIVE_INFINITY
  for (const [url, limit] of fleet.maxConcurrency())
    overLimit = Math.max(overLimit, (peaks.get(url) ?? 0) - limit)
  const ok = outcomes.filter((outcome) => outcome.isOk)
  return {
    p50Ms: Math.round(median(ok.map((outcome) => outcome.latencyMs))),
    overLimit,
    failed: failed(outcomes),
  }
}

async function withFleet<T>(fleetOptions: HaFleetOptions, run: (fleet: HaFleet) => Promise<T>): Promise<T> {
  const fleet = new HaFleet(fleetOptions)
  try {
    await fleet.start()
    return await run(fleet)
  } catch (error) {
    console.error(fleet.describe())
    throw error
  } finally {
    await fleet.close()
  }
}

async function main() {
  const single: Record<number, number[]> = { 9: [], 14: [] }
  await withFleet(options(1, false), async (fleet) => {
    for (let run = 0; run < RUNS; run++)
      for (const clients of CLIENT_COUNTS) single[clients]?.push((await latency(fleet, clients)).p50Ms)
  })

  const shared: Record<number, number[]> = { 9: [], 14: [] }
  const overLimit: number[] = []
  const restartFailed: number[] = []
  let crashResult = { failed: 0, inFlight: 0, rejoinMs: 0 }
  await withFleet(options(2, true), async (fleet) => {
    for (let run = 0; run < RUNS; run++) {
      for (const clients of CLIENT_COUNTS) {
        const result = await latency(fleet, clients)
        shared[clients]?.push(result.p50Ms)
        overLimit.push(result.overLimit)
      }
    }
    for (let run = 0; run < RUNS; run++) restartFailed.push(await plannedRestart(fleet))
    crashResult = await crash(fleet)
  })

  const results = {
    generatedAt: new Date().toISOString(),
    note: 'HAProxy (deploy/haproxy/haproxy.cfg) in front, 3 mock runtimes (h100, rtx-3090, t4 profiles; maxConcurrency 4/3/2) with real agents, spec mode with QUEUE_WHEN_BUSY, on a shared 2-core machine: latencies are slower than on a quiet one',
    settings: {
      pushIntervalMs: PUSH_INTERVAL_MS,
      tokens: TOKENS,
      speedScale: SPEED_SCALE,
      crashOutageMs: CRASH_OUTAGE_MS,
      runs: RUNS,
    },
    plannedRestartFailed: spread(restartFailed),
    crashFailed: crashResult.failed,
    crashStreamsInFlight: crashResult.inFlight,
    rejoinMs: crashResult.rejoinMs,
    maxInFlightOverLimit: Math.max(...overLimit),
    p50Ms: {
      single: Object.fromEntries(CLIENT_COUNTS.map((clients) => [clients, spread(single[clients] ?? [])])),
      shared: Object.fromEntries(CLIENT_COUNTS.map((clients) => [clients, spread(shared[clients] ?? [])])),
    },
  }
  const path = resolve(REPO_ROOT, 'bench/results/ha.json')
  mkdirSync(resolve(REPO_ROOT, 'bench/results'), { recursive: true })
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`)
  console.table({
    'planned restart: failed requests (median)': results.plannedRestartFailed.median,
    [`crash (${CRASH_OUTAGE_MS / 1000} s outage): failed / in flight on it`]: `${results.crashFailed} / ${results.crashStreamsInFlight}`,
    'restarted coordinator has every node after (ms)': results.rejoinMs,
    'most requests over a node maxConcurrency (2 coordinators)': results.maxInFlightOverLimit,
    ...Object.fromEntries(
      CLIENT_COUNTS.map((clients) => [
        `p50 ms at ${clients} clients: single / shared`,
        `${results.p50Ms.single[clients]?.median} / ${results.p50Ms.shared[clients]?.median}`,
      ]),
    ),
  })
  const docs = resolve(REPO_ROOT, 'docs/deploy.md')
  writeFileSync(docs, replaceHaTable(readFileSync(docs, 'utf8'), renderHaTable(results)))
  console.log(`wrote ${path} and the table in docs/deploy.md`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
