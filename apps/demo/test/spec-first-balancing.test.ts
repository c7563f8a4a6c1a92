/**
 * Spec-first end to end: the fastest idle host first, spill-over to the next as one fills to its
 * MAX_CONCURRENCY (held open by long streams), round-robin when every host is at its limit.
 */
import { afterEach, expect, it } from 'vitest'
import { DEMO_HOSTS } from '../src/simulated-host.js'
import { chatOnce, type HeldStream, holdStream, openaiClient } from './helpers/fleet-requests.js'
import { useFleet } from './helpers/use-fleet.js'

const LIMIT = 2
const [FASTEST, SECOND, SLOWEST] = DEMO_HOSTS.map((host) => host.name) as [string, string, string]

const fleet = useFleet({
  hosts: DEMO_HOSTS.map((host) => ({ ...host, maxConcurrency: LIMIT })),
  // Real GPU speed: a held stream of a million tokens lasts far longer than the test.
  speedScale: 1,
  // Explicit: the coordinator's default mode may be another.
  loadBalancerMode: 'spec',
})

const held: HeldStream[] = []
afterEach(async () => {
  await Promise.all(held.splice(0).map((stream) => stream.release()))
})

it('sends to the fastest idle host, spills over as each fills, then round-robins over all', async () => {
  const client = openaiClient(fleet().coordinatorUrl)
  const scores = new Map((await fleet().nodes()).map((node) => [node.name, node.computeScore]))
  expect(scores.get(FASTEST)).toBeGreaterThan(scores.get(SECOND) ?? Number.POSITIVE_INFINITY)
  expect(scores.get(SECOND)).toBeGreaterThan(scores.get(SLOWEST) ?? Number.POSITIVE_INFINITY)

  // Idle fleet: the fastest host.
  expect((await chatOnce(client)).node).toBe(FASTEST)

  // Fill the fastest to its limit; the next request spills over to the second.
  for (let i = 0; i < LIMIT; i++) held.push(await holdStream(client))
  expect(held.map((stream) => stream.node)).toEqual([FASTEST, FASTEST])
  const spilled = await chatOnce(client)
  expect(spilled.node).toBe(SECOND)
  expect(spilled.reason).toMatch(/^spill-over/)

  // Fill the second; the next goes to the slowest.
  for (let i = 0; i < LIMIT; i++) held.push(await holdStream(client))
  expect(held.slice(LIMIT).map((stream) => stream.node)).toEqual([SECOND, SECOND])
  expect((await chatOnce(client)).node).toBe(SLOWEST)

  // Fill the slowest: every host is busy, so requests rotate over all three.
  for (let i = 0; i < LIMIT; i++) held.push(await holdStream(client))
  expect(held.slice(2 * LIMIT).map((stream) => stream.node)).toEqual([SLOWEST, SLOWEST])
  const rotated = [await chatOnce(client), await chatOnce(client), await chatOnce(client)]
  for (const request of rotated) expect(request.reason).toMatch(/^all busy/)
  expect(new Set(rotated.map((request) => request.node))).toEqual(new Set([FASTEST, SECOND, SLOWEST]))
})

it('frees every slot once the held requests end', async () => {
  const client = openaiClient(fleet().coordinatorUrl)
  for (let i = 0; i < LIMIT + 1; i++) held.push(await holdStream(client))
  expect(held.map((stream) => stream.node)).toEqual([FASTEST, FASTEST, SECOND])
  await Promise.all(held.splice(0).map((stream) => stream.release()))
  await fleet().waitForNodes(
    (nodes) => (nodes.every((node) => node.inFlight === 0) ? true : undefined),
    'no request in flight',
  )
  expect((await chatOnce(client)).node).toBe(FASTEST)
})
