/** A fleet of real processes for one test file: started in beforeAll, stopped in afterAll. */
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { describeUnexpectedExit, Fleet, type FleetOptions } from '../../src/fleet.js'
import { REPO_ROOT } from '../../src/repo-paths.js'
import { DEMO_HOSTS } from '../../src/simulated-host.js'

export type TestFleetOptions = Partial<Omit<FleetOptions, 'repoRoot'>>

/** Fast simulated GPUs: answers of a few tokens take milliseconds. */
export const FAST_SPEED_SCALE = 100

/**
 * Registers the hooks and returns the fleet's getter. Any process that exits without being stopped by
 * the test (a crash) fails the test that was running.
 */
export function useFleet(options: TestFleetOptions = {}): () => Fleet {
  let fleet: Fleet | undefined
  const crashes: string[] = []
  beforeAll(async () => {
    fleet = new Fleet(
      {
        repoRoot: REPO_ROOT,
        hosts: DEMO_HOSTS,
        speedScale: FAST_SPEED_SCALE,
        pushIntervalMs: 500,
        // Far beyond the push interval: on a loaded machine a late push must not make a node stale
        // in the middle of a test about something else.
        agentTtlMs: 10_000,
        ...options,
      },
      process.env,
    )
    fleet.onUnexpectedExit((child, exit) => crashes.push(describeUnexpectedExit(child, exit)))
    await fleet.start()
  })
  afterEach(() => {
    expect(crashes, 'no fleet process may exit by itself').toEqual([])
  })
  afterAll(async () => {
    await fleet?.close()
  })
  return () => {
    if (fleet === undefined) throw new Error('the fleet is not started (useFleet runs in beforeAll)')
    return fleet
  }
}
