/**
 * Nodes come and go: an agent that dies leaves its node stale within the TTL and traffic moves away;
 * a restarted agent brings it back; a restarted coordinator gets every agent back on its own.
 */
import { describe, expect, it } from 'vitest'
import { DEMO_HOSTS } from '../src/simulated-host.js'
import { chatOnce, openaiClient } from './helpers/fleet-requests.js'
import { useFleet } from './helpers/use-fleet.js'

const PUSH_INTERVAL_MS = 250
/** 12 push intervals: short enough to wait for, long enough that a loaded machine's late push is no gap. */
const AGENT_TTL_MS = 3000
const [FASTEST, SECOND] = DEMO_HOSTS.map((host) => host.name) as [string, string]

const fleet = useFleet({
  pushIntervalMs: PUSH_INTERVAL_MS,
  agentTtlMs: AGENT_TTL_MS,
  loadBalancerMode: 'spec',
})

describe('an agent that stops', () => {
  it('turns its node stale when killed, moves traffic away, and is back once restarted', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    expect((await chatOnce(client)).node).toBe(FASTEST)
    const before = await fleet().node(FASTEST)

    // SIGKILL: the host vanished without deregistering, so only the TTL can tell.
    await fleet().stopAgent(FASTEST, 'SIGKILL')
    const stale = await fleet().waitForNodes(
      (nodes) => nodes.find((node) => node.name === FASTEST && node.state === 'stale'),
      `${FASTEST} stale`,
    )
    expect(stale.id).toBe(before?.id)
    expect((await chatOnce(client)).node).toBe(SECOND)

    await fleet().startAgent(FASTEST)
    const back = await fleet().node(FASTEST)
    expect(back?.state).toBe('online')
    // The same hostname and runtime URL register under the same id.
    expect(back?.id).toBe(before?.id)
    expect((await chatOnce(client)).node).toBe(FASTEST)
  })

  it('deregisters on SIGTERM: its node leaves the fleet at once, and returns with the agent', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    await fleet().stopAgent(FASTEST, 'SIGTERM')
    await fleet().waitForNodes(
      (nodes) => (nodes.some((node) => node.name === FASTEST) ? undefined : true),
      `${FASTEST} removed`,
    )
    expect((await chatOnce(client)).node).toBe(SECOND)

    await fleet().startAgent(FASTEST)
    expect((await chatOnce(client)).node).toBe(FASTEST)
  })
})

describe('a coordinator that restarts', () => {
  it('gets every agent back, registered again, and serves traffic', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    expect((await chatOnce(client)).node).toBe(FASTEST)

    await fleet().restartCoordinator()
    // The new coordinator knows nothing until the agents' next pushes are answered 404.
    const online = await fleet().waitForOnline()
    expect(online.map((node) => node.name)).toEqual(DEMO_HOSTS.map((host) => host.name))
    expect((await chatOnce(client)).node).toBe(FASTEST)
  })
})
