import { describe, expect, it } from 'vitest'
import { fetchBlockedPort } from './fetch-blocked-ports.js'

/** Whether this Node's fetch refuses the port itself ("bad port"), rather than trying to connect. */
async function isRefusedByFetch(port: number): Promise<boolean> {
  const controller = new AbortController()
  const request = fetch(`http://127.0.0.1:${port}/`, { signal: controller.signal })
  // A port fetch accepts is aborted before it connects: it fails with an AbortError instead.
  queueMicrotask(() => controller.abort())
  try {
    await request
    return false
  } catch (error) {
    return (error as { cause?: { message?: unknown } }).cause?.message === 'bad port'
  }
}

describe('fetchBlockedPort', () => {
  it("lists ports this Node's fetch refuses, and none of the runtimes' usual ones", async () => {
    const listed = Array.from({ length: 65_535 }, (_, i) => i + 1).filter(
      (port) => fetchBlockedPort(`http://h:${port}`) !== null,
    )
    expect(listed).toHaveLength(82)
    const usual = [80, 443, 1234, 3000, 5000, 8000, 8080, 11434, 30000]
    const refused = await Promise.all([...listed, ...usual].map(isRefusedByFetch))
    expect(refused).toEqual([...listed.map(() => true), ...usual.map(() => false)])
  })

  it("is null for a URL on its scheme's default port or one that does not parse", () => {
    expect(fetchBlockedPort('http://h')).toBeNull()
    expect(fetchBlockedPort('not a url')).toBeNull()
  })
})
