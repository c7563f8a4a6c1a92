import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL } from './helpers/start-coordinator.js'

describe('upstream connections', () => {
  it('keeps the connection to a runtime alive across requests', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)
    let connectionsOpened = 0
    runtime.events.on('connection', () => connectionsOpened++)
    const client = createClient()

    for (let index = 0; index < 5; index++) {
      const response = await postJson(client, `${coordinator.url}/api/generate`, {
        model: MODEL,
        stream: false,
      })
      await response.body.dump()
    }

    expect(runtime.requests).toHaveLength(5)
    expect(connectionsOpened).toBe(1)
  })

  it('closes the pool of a node once it is removed', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    const nodeId = coordinator.addNode(runtime.url)
    const response = await postJson(createClient(), `${coordinator.url}/api/generate`, {
      model: MODEL,
      stream: false,
    })
    await response.body.dump()
    const closed = once(runtime.events, 'connection-closed')

    // Nothing in flight: draining removes the node at once, and its pool closes its idle connection.
    coordinator.registry.drain(nodeId)

    await closed
    expect(coordinator.registry.get(nodeId)).toBeUndefined()
  })
})
