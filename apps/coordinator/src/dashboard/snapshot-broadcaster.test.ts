import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SnapshotBroadcaster } from './snapshot-broadcaster.js'

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition still false at the deadline')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function serve(broadcaster: SnapshotBroadcaster): Promise<string> {
  const server = createServer((_request, response) => {
    if (!broadcaster.add(response)) response.writeHead(503).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(async () => {
    broadcaster.closeAll()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('SnapshotBroadcaster', () => {
  it('renders once per tick for every stream, and stops ticking when the last client leaves', async () => {
    let renders = 0
    const broadcaster = new SnapshotBroadcaster({
      intervalMs: 10,
      render: () => JSON.stringify({ renders: ++renders }),
      maxStreams: 2,
    })
    const url = await serve(broadcaster)
    const first = await request(url)
    const second = await request(url)
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(broadcaster.size).toBe(2)
    const third = await request(url)
    expect(third.statusCode).toBe(503)
    await third.body.dump()

    const chunk = String((await first.body[Symbol.asyncIterator]().next()).value)
    expect(chunk).toMatch(/^retry: 2000\ndata: \{"renders":\d+\}\n\n/)

    first.body.destroy()
    second.body.destroy()
    await until(() => broadcaster.size === 0)
    const rendersWhenIdle = renders
    // Proving that nothing happens needs a window: five intervals without a render.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(renders).toBe(rendersWhenIdle)
  })

  it('ends every stream on closeAll and refuses new ones', async () => {
    const broadcaster = new SnapshotBroadcaster({ intervalMs: 1_000, render: () => '{}', maxStreams: 4 })
    const url = await serve(broadcaster)
    const stream = await request(url)
    broadcaster.closeAll()
    expect(await stream.body.text()).toBe('retry: 2000\ndata: {}\n\n')
    const refused = await request(url)
    expect(refused.statusCode).toBe(503)
    await refused.body.dump()
  })
})
