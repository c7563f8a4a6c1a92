import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'

describe('client abort', () => {
  it('reaches the runtime while it is still working on the first byte', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'hang' } })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)
    const clientAbort = new AbortController()
    const arrived = once(runtime.events, 'request')

    const pending = postJson(
      createClient(),
      `${coordinator.url}/api/chat`,
      { model: MODEL },
      { signal: clientAbort.signal },
    )
    await arrived
    expect(totalInFlight(coordinator.registry)).toBe(1)
    const closed = once(runtime.events, 'client-closed')
    clientAbort.abort()

    await expect(pending).rejects.toThrow()
    await closed
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({ status: 499, ttfbMs: null })
  })

  it('reaches the runtime in the middle of a stream', async () => {
    const runtime = await startFakeRuntime({ mode: { kind: 'gated' } })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)

    const response = await postJson(createClient(), `${coordinator.url}/v1/chat/completions`, {
      model: MODEL,
      stream: true,
    })
    const chunks = response.body[Symbol.asyncIterator]()
    expect(String((await chunks.next()).value)).toContain('t0')
    expect(totalInFlight(coordinator.registry)).toBe(1)
    const closed = once(runtime.events, 'client-closed')
    response.body.destroy()

    await closed
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({ status: 499, isComplete: false })
  })

  it('leaves no request in flight after success, upstream error and abort', async () => {
    const runtime = await startFakeRuntime({ chunks: 5 })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url)
    const client = createClient()

    const ok = await postJson(client, `${coordinator.url}/api/generate`, { model: MODEL })
    await ok.body.text()
    await waitFor(() => totalInFlight(coordinator.registry) === 0)

    runtime.setMode({ kind: 'die-mid-stream' })
    const broken = await postJson(client, `${coordinator.url}/api/generate`, { model: MODEL })
    await expect(broken.body.text()).rejects.toThrow()
    await waitFor(() => totalInFlight(coordinator.registry) === 0)

    runtime.setMode({ kind: 'status', statusCode: 500 })
    const failed = await postJson(client, `${coordinator.url}/api/generate`, { model: MODEL })
    expect(failed.statusCode).toBe(500)
    await failed.body.dump()
    await waitFor(() => totalInFlight(coordinator.registry) === 0)
    expect(proxiedLines(coordinator).map((line) => line.status)).toEqual([200, 200, 500])
  })
})
