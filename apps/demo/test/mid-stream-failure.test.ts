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

const fleet = useFleet({ coolDownMs: COOL_DOWN_MS, loadBalancerMode: 'spec' })

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
    // The first tokens arrived, then a clean error: not a hang (a timeout) and not a silent end.
    expect(broken.chunks).toBeGreaterThan(0)
    expect(broken.error).toBeInstanceOf(Error)
    expect(broken.error).not.toBeInstanceOf(APIConnectionTimeoutError)
    expect(broken.error).not.toBeInstanceOf(APIUserAbortError)
  }

  const cooling = await fleet().node(fastest.host.name)
  expect(cooling?.coolingDownUntil).not.toBeNull()

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
