import { describe, expect, it } from 'vitest'
import { buildUpstreamRequestHeaders, filterResponseHeaders, hasPassedThrough } from './hop-by-hop-headers.js'

describe('buildUpstreamRequestHeaders', () => {
  it('drops hop-by-hop headers, those named in Connection, and what the coordinator replaces', () => {
    const upstream = buildUpstreamRequestHeaders(
      {
        host: 'coordinator:8080',
        connection: 'keep-alive, X-Secret-Hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic abc',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        authorization: 'Bearer client-key',
        'content-length': '42',
        'content-type': 'text/plain',
        expect: '100-continue',
        'x-request-id': 'from-client',
        accept: 'text/event-stream',
        'user-agent': 'openai-python/1.0',
        'x-multi': ['a', 'b'],
      },
      'req-1',
    )
    expect(upstream).toEqual({
      accept: 'text/event-stream',
      'user-agent': 'openai-python/1.0',
      'x-multi': ['a', 'b'],
      'content-type': 'application/json',
      'x-request-id': 'req-1',
    })
  })
})

describe('Via', () => {
  it('adds the coordinator after the proxies the request came through (RFC 9110 §7.6.3)', () => {
    expect(buildUpstreamRequestHeaders({}, 'r', undefined, 'llm-fleet-1a2b').via).toBe('1.1 llm-fleet-1a2b')
    expect(
      buildUpstreamRequestHeaders({ via: '1.0 fred, 1.1 p.example.net' }, 'r', undefined, 'llm-fleet-1a2b')
        .via,
    ).toBe('1.0 fred, 1.1 p.example.net, 1.1 llm-fleet-1a2b')
  })

  it('finds a name among the hops, and only as a whole pseudonym', () => {
    expect(hasPassedThrough('1.1 nginx, 1.1 llm-fleet-1a2b (llm-fleet)', 'llm-fleet-1a2b')).toBe(true)
    expect(hasPassedThrough('1.1 llm-fleet-1a2b0', 'llm-fleet-1a2b')).toBe(false)
    expect(hasPassedThrough('llm-fleet-1a2b', 'llm-fleet-1a2b')).toBe(false)
    expect(hasPassedThrough(undefined, 'llm-fleet-1a2b')).toBe(false)
  })
})

describe('filterResponseHeaders', () => {
  it('keeps end-to-end headers, content-length included', () => {
    expect(
      filterResponseHeaders({
        'content-type': 'application/json',
        'content-length': '12',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
        'x-upstream': 'yes',
      }),
    ).toEqual({
      'content-type': 'application/json',
      'content-length': '12',
      'set-cookie': ['a=1', 'b=2'],
      'x-upstream': 'yes',
    })
  })

  it('drops headers the upstream names in Connection', () => {
    expect(
      filterResponseHeaders({ connection: 'close, x-internal', 'x-internal': '1', date: 'now' }),
    ).toEqual({
      date: 'now',
    })
  })
})
