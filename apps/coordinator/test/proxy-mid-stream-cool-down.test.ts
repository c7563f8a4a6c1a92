import { expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, waitFor } from './helpers/start-coordinator.js'

const STREAMED_CHAT = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true }

it('counts a runtime that dies mid-stream as a failure: 3 in a row put the node into cool-down', async () => {
  const coordinator = await startProxyHarness()
  const dying = await startFakeRuntime({ name: 'dying', mode: { kind: 'die-mid-stream' } })
  const healthy = await startFakeRuntime({ name: 'healthy' })
  coordinator.addNode(dying.url, { hostname: 'dying', computeScore: 200 })
  coordinator.addNode(healthy.url, { hostname: 'healthy', computeScore: 100 })
  const client = createClient()

  for (let attempt = 0; attempt < 3; attempt++) {
    const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, STREAMED_CHAT)
    expect(response.headers['x-fleet-node']).toBe('dying')
    await expect(response.body.text()).rejects.toThrow()
  }
  await waitFor(() =>
    coordinator.logs.some((line) => line.msg === 'node cooling down after repeated upstream failures'),
  )

  const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, STREAMED_CHAT)
  expect(response.headers['x-fleet-node']).toBe('healthy')
  await response.body.text()
  await waitFor(() => proxiedLines(coordinator).length === 4)
})
