/**
 * The shipped nginx config (deploy/nginx/llm-fleet.conf) in front of two coordinators: with one of
 * them gone (refusing connections), every request is retried on the other and none fails. Open-source
 * nginx cannot poll /readyz, so it has no lossless planned restart: docs/deploy.md says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HaFleet } from '../src/ha-fleet.js'
import { startLoad } from '../src/ha-load.js'
import { pollUntil } from '../src/poll-until.js'
import { REPO_ROOT } from '../src/repo-paths.js'
import { DEMO_HOSTS } from '../src/simulated-host.js'

describe('two coordinators behind nginx', () => {
  const fleet = new HaFleet({
    repoRoot: REPO_ROOT,
    hosts: DEMO_HOSTS,
    coordinators: 2,
    front: 'nginx',
    sharedState: false,
    speedScale: 4,
    pushIntervalMs: 500,
    shutdownReadyGraceMs: 0,
    env: process.env,
    startTimeoutMs: 45_000,
  })
  beforeAll(() => fleet.start(), 90_000)
  afterAll(() => fleet.close(), 30_000)

  it('serves through both, and retries a refused connection on the other coordinator', async () => {
    await fleet.stopCoordinator(0, 'SIGKILL')
    const load = startLoad({ url: fleet.frontUrl, clients: 6, tokens: 48 })
    await pollUntil(async () => (load.outcomes.length >= 60 ? true : undefined), {
      what: '60 requests through nginx',
      timeoutMs: 60_000,
    })
    const outcomes = await load.stop()
    const failed = outcomes.filter((outcome) => !outcome.isOk).map((outcome) => outcome.failure)
    expect(failed).toEqual([])
    expect(outcomes.some((outcome) => outcome.isStreaming)).toBe(true)
    expect(outcomes.some((outcome) => !outcome.isStreaming)).toBe(true)
  }, 90_000)
})
