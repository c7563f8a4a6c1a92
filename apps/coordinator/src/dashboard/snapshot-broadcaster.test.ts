import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { SnapshotBroadcaster } from './snapshot-broadcaster.js'

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition still false at the deadline')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The stream's text from its start until it holds `text`. */
async function readUntil(body: AsyncIterable<unknown>, text: string): Promise<string> {
  let read = ''
  for await (const chunk of body) {
    read += String(chunk)
    if (read.includes(text)) break
  }
  return read
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
    // Only the broadcaster's interval is faked: the sockets and `until` keep real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
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

    // Each stream got a snapshot of its own at once; one tick renders once and sends it to both.
    vi.advanceTimersByTime(10)
    expect(renders).toBe(3)
    expect(await readUntil(first.body, '{"renders":3}')).toBe(
      'retry: 2000\ndata: {"renders":1}\n\ndata: {"renders":3}\n\n',
    )
    expect(await readUntil(second.body, '{"renders":3}')).toBe(
      'retry: 2000\ndata: {"renders":2}\n\ndata: {"renders":3}\n\n',
    )

    first.body.destroy()
    second.body.destroy()
    await until(() => broadcaster.size === 0)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(50)
    expect(renders).toBe(3)
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
