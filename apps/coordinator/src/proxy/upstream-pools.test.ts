import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { UpstreamPools } from './upstream-pools.js'

describe('UpstreamPools', () => {
  const server = createServer((request, response) => response.end(request.url))
  afterEach(() => {
    server.closeAllConnections()
    server.close()
  })

  async function listen(): Promise<string> {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('makes one pool per node on first use, keeps the URL path as a prefix, and closes it on removal', async () => {
    const url = await listen()
    const pools = new UpstreamPools({ headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 })
    let resolved = 0
    const resolve = () => {
      resolved++
      return `${url}/prefix/`
    }

    const target = pools.target('node-1', resolve)
    expect(pools.target('node-1', resolve)).toBe(target)
    expect(resolved).toBe(1)
    expect(target?.basePath).toBe('/prefix')
    const response = await target?.pool.request({ method: 'GET', path: `${target.basePath}/v1/models` })
    expect(await response?.body.text()).toBe('/prefix/v1/models')

    await pools.remove('node-1')
    expect(target?.pool.closed).toBe(true)
    expect(pools.size).toBe(0)
    await pools.close()
  })

  it('answers undefined for a node that is gone, and refuses new pools once closed', async () => {
    const url = await listen()
    const pools = new UpstreamPools({ headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 })
    expect(pools.target('gone', () => undefined)).toBeUndefined()
    const target = pools.target('node-1', () => url)

    await pools.close()
    expect(target?.pool.closed).toBe(true)
    expect(() => pools.target('node-2', () => url)).toThrow()
  })
})
