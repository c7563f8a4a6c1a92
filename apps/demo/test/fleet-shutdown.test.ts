/** The fleet leaves nothing behind, even when it is closed while still starting (Ctrl-C at once). */
import { expect, it } from 'vitest'
import { Fleet } from '../src/fleet.js'
import { REPO_ROOT } from '../src/repo-paths.js'
import { DEMO_HOSTS } from '../src/simulated-host.js'

it('stops every process it has started when closed during the start, and the start fails', async () => {
  const fleet = new Fleet(
    {
      repoRoot: REPO_ROOT,
      hosts: DEMO_HOSTS,
      speedScale: 100,
      pushIntervalMs: 500,
    },
    process.env,
  )
  const starting = fleet.start()
  // The coordinator and the runtimes are spawned at once; the agents wait for their URLs.
  expect(fleet.processes.length).toBe(1 + DEMO_HOSTS.length)
  await fleet.close()
  await expect(starting).rejects.toThrow()
  expect(fleet.processes.filter((child) => child.isRunning).map((child) => child.name)).toEqual([])
  expect(fleet.processes.every((child) => child.exit !== null)).toBe(true)
})
