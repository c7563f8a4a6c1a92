/**
 * Several coordinators as one, for real: the shipped HAProxy config (deploy/haproxy/haproxy.cfg) in
 * front of two coordinators sharing load through redis-server, three mock runtimes with real agents
 * pushing to both, and mixed streamed / non-streamed clients through the front. A planned restart
 * loses nothing; a crash loses at most what was running on the crashed coordinator, and it is back
 * with every node soon after it starts, although the agents had backed off; the H100 host never runs
 * more than MAX_CONCURRENCY + 1 requests with both coordinators filling it; with the store down no
 * node exceeds MAX_CONCURRENCY. (The nginx config: ha-front-nginx.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FrontKind } from '../src/front-config.js'
import { HaFleet } from '../src/ha-fleet.js'
import { type RequestOutcome, startLoad } from '../src/ha-load.js'
import { pollUntil } from '../src/poll-until.js'
import { REPO_ROOT } from '../src/repo-paths.js'
import { DEMO_HOSTS } from '../src/simulated-host.js'

const PUSH_INTERVAL_MS = 500
/** Small, so that an outage of a few seconds is longer than the agents' longest backoff. */
const BACKOFF_MAX_MS = 4000
/** Longer than the whole backoff ramp (3 × 500 ms, then 1, 2, 4 s): every agent has reached the cap. */
const CRASH_OUTAGE_MS = 9000
/** The haproxy.cfg checks every 1 s and takes 2 failures: a 3 s grace leaves a margin. */
const READY_GRACE_MS = 3000
const CLIENTS = 6
const TOKENS = 48

export function fleetFor(front: FrontKind, sharedState: boolean): HaFleet {
  return new HaFleet({
    repoRoot: REPO_ROOT,
    hosts: DEMO_HOSTS,
    coordinators: 2,
    front,
    sharedState,
    speedScale: 4,
    pushIntervalMs: PUSH_INTERVAL_MS,
    backoffMaxMs: BACKOFF_MAX_MS,
    shutdownReadyGraceMs: READY_GRACE_MS,
    env: process.env,
    startTimeoutMs: 45_000,
  })
}

/** Failed requests, as `streamed: reason` (short, so that a failing test's message stays readable). */
const failures = (outcomes: readonly RequestOutcome[]) =>
  outcomes
    .filter((outcome) => !outcome.isOk)
    .map((outcome) => `${outcome.isStreaming ? 'streamed' : 'plain'}: ${outcome.failure?.slice(0, 80)}`)

/** Runs load until `during` resolved and a few more requests completed. */
async function underLoad(fleet: HaFleet, clients: number, during: () => Promise<void>) {
  const load = startLoad({ url: fleet.frontUrl, clients, tokens: TOKENS })
  await pollUntil(async () => (load.outcomes.length >= clients ? true : undefined), {
    what: 'the load running',
    timeoutMs: 20_000,
  })
  await during()
  const after = load.outcomes.length
  await pollUntil(async () => (load.outcomes.length >= after + clients * 2 ? true : undefined), {
    what: 'requests served after the event',
    timeoutMs: 20_000,
  })
  return load.stop()
}

describe('two coordinators behind HAProxy, sharing load through redis-server', () => {
  const fleet = fleetFor('haproxy', true)
  beforeAll(() => fleet.start(), 90_000)
  afterAll(() => fleet.close(), 30_000)

  it('planned restart (SIGTERM, then start): no request fails', async () => {
    const outcomes = await underLoad(fleet, CLIENTS, async () => {
      await fleet.stopCoordinator(0, 'SIGTERM')
      await fleet.startCoordinator(0)
      await fleet.waitReady(0)
      await fleet.waitAllInRotation()
    })
    expect(failures(outcomes), fleet.describe()).toEqual([])
    expect(outcomes.some((outcome) => outcome.isStreaming && outcome.isOk)).toBe(true)
    expect(outcomes.some((outcome) => !outcome.isStreaming && outcome.isOk)).toBe(true)
  }, 90_000)

  it('crash (kill -9): only what ran on it fails; started again after the agents backed off, it has every node again and is back in rotation', async () => {
    let inFlight = 0
    const outcomes = await underLoad(fleet, CLIENTS, async () => {
      inFlight = await fleet.crashCoordinator(1)
      await new Promise((resolve) => setTimeout(resolve, CRASH_OUTAGE_MS))
      await fleet.startCoordinator(1)
      // How soon is measured, not asserted: `pnpm bench:ha` reports it, and the push loop's own tests
      // hold the agents to two push intervals on fake timers.
      await fleet.waitAllNodesOnline(1)
      await fleet.waitReady(1)
      // Back in rotation: HAProxy sends to it again.
      await fleet.waitAllInRotation()
    })
    // Nothing sent after the crash fails: the front retries a refused connection elsewhere.
    const failedLater = outcomes.filter(
      (outcome) => !outcome.isOk && outcome.startedAtMs > fleet.lastCrashAtMs,
    )
    expect(failures(failedLater)).toEqual([])
    // What fails was running when it died. HAProxy's session count is read a moment before the kill, so
    // requests dispatched in that moment are not in it; each client has one request at a time. Requests
    // sent between SIGKILL and the exit reached a dying process: part of the crash, counted in neither.
    const failedBeforeKill = outcomes.filter(
      (outcome) => !outcome.isOk && outcome.startedAtMs <= fleet.lastKillAtMs,
    )
    expect(failures(failedBeforeKill).length, `HAProxy had ${inFlight} on it`).toBeLessThanOrEqual(
      Math.max(inFlight, CLIENTS),
    )
  }, 120_000)

  it('spec mode, shared counts: no node runs more than maxConcurrency + 1 with both coordinators filling it', async () => {
    await fleet.waitAllInRotation()
    await fleet.resetPeaks()
    const outcomes = await underLoad(fleet, 14, () => new Promise((resolve) => setTimeout(resolve, 3000)))
    expect(failures(outcomes), fleet.describe()).toEqual([])
    const peaks = await fleet.peaks()
    for (const [url, limit] of fleet.maxConcurrency()) {
      expect(peaks.get(url), url).toBeLessThanOrEqual(limit + (fleet.coordinatorCount - 1))
    }
  }, 90_000)

  it('store down: traffic goes on and no node exceeds maxConcurrency (each coordinator takes half)', async () => {
    await fleet.stopStore()
    for (const index of [0, 1]) {
      await pollUntil(
        async () => {
          const { body } = await fleet.readiness(index)
          const shared = body.sharedState as { status: string; capacityShare: number } | undefined
          return shared?.status === 'unreachable' && shared.capacityShare === 0.5 ? true : undefined
        },
        { what: `coordinator-${index + 1} reporting the store unreachable`, timeoutMs: 20_000 },
      )
    }
    await fleet.resetPeaks()
    const outcomes = await underLoad(fleet, 14, () => new Promise((resolve) => setTimeout(resolve, 3000)))
    expect(failures(outcomes)).toEqual([])
    const peaks = await fleet.peaks()
    for (const [url, limit] of fleet.maxConcurrency()) expect(peaks.get(url), url).toBeLessThanOrEqual(limit)
  }, 90_000)
})
