/**
 * A runtime that dies mid-stream: the client gets a clean error rather than a hang, the node goes
 * into cool-down, the next requests succeed on other nodes, and no in-flight count is left behind.
 */
import { APIConnectionTimeoutError, APIUserAbortError } from 'openai'
import { afterEach, expect, it } from 'vitest'
import { DEMO_MODEL } from '../src/simulated-host.js'
import { chatOnce, openaiClient } from './helpers/fleet-requests.js'
import { useFleet } from './helpers/use-fleet.js'

/** Long enough that the node is still cooling down when the test looks. */
const COOL_DOWN_MS = 120_000
/** The coordinator's rule: this many failures in a row start a cool-down. */
const FAILURES_TO_COOL_DOWN = 3
/** A hang would end here, as a timeout error the test tells apart from the clean error it expects. */
const CLIENT_TIMEOUT_MS = 20_000

/**
 * The agents sample once at start and then not again during the test. The fault breaks every request
 * to the runtime, the agent's probes too, and a probe that failed would report the runtime down and
 * take the node out of the balancer's choice: that is the agent's view, which lags by up to a push
 * interval. What is tested here is what the coordinator does by itself within that interval.
 */
const QUIET_PUSH_INTERVAL_MS = 60_000

const fleet = useFleet({
  coolDownMs: COOL_DOWN_MS,
  loadBalancerMode: 'spec',
  pushIntervalMs: QUIET_PUSH_INTERVAL_MS,
  agentTtlMs: 3 * QUIET_PUSH_INTERVAL_MS,
})

async function setFault(runtimeUrl: string, fault: { mode: string; afterChunks?: number }): Promise<void> {
  const response = await fetch(`${runtimeUrl}/_mock/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  })
  expect(response.ok).toBe(true)
}

afterEach(async () => {
  for (const host of fleet().hosts) await setFault(host.runtimeUrl, { mode: 'ok' })
})

/** Streams one answer to the end; resolves with the node and the error that ended it, if any. */
async function streamOnce(): Promise<{ node: string | null; error: unknown; chunks: number }> {
  const client = openaiClient(fleet().coordinatorUrl)
  let node: string | null = null
  let chunks = 0
  try {
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: DEMO_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 40, stream: true },
        { timeout: CLIENT_TIMEOUT_MS },
      )
      .withResponse()
    node = response.headers.get('x-fleet-node')
    for await (const _chunk of stream) chunks += 1
    return { node, error: null, chunks }
  } catch (error) {
    return { node, error, chunks }
  }
}

it('ends the client stream with an error, cools the node down, and serves the next requests elsewhere', async () => {
  const fastest = fleet().hosts[0]
  if (fastest === undefined) throw new Error('no hosts')
  await setFault(fastest.runtimeUrl, { mode: 'die-mid-stream', afterChunks: 2 })

  for (let attempt = 1; attempt <= FAILURES_TO_COOL_DOWN; attempt++) {
    const broken = await streamOnce()
    expect(broken.node).toBe(fastest.host.name)
    // The answer had begun (its headers named the node), then a clean error: not a hang (a timeout)
    // and not a silent end. Whether the first tokens got through before the break is up to TCP.
    expect(broken.error).toBeInstanceOf(Error)
    expect(broken.error).not.toBeInstanceOf(APIConnectionTimeoutError)
    expect(broken.error).not.toBeInstanceOf(APIUserAbortError)
  }

  const cooling = await fleet().node(fastest.host.name)
  expect(cooling?.coolingDownUntil).toEqual(expect.any(String))

  const client = openaiClient(fleet().coordinatorUrl)
  const next = [await chatOnce(client), await chatOnce(client), await chatOnce(client)]
  for (const served of next) expect(served.node).not.toBe(fastest.host.name)
  const streamed = await streamOnce()
  expect(streamed.error).toBeNull()
  expect(streamed.node).not.toBe(fastest.host.name)

  await fleet().waitForNodes(
    (nodes) => (nodes.every((node) => node.inFlight === 0) ? true : undefined),
    'every in-flight count back to 0',
  )
})
