import { describe, expect, it } from 'vitest'
import {
  buildUpstreamRequestHeaders,
  clientLocation,
  filterResponseHeaders,
  hasPassedThrough,
} from './hop-by-hop-headers.js'

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
      { requestId: 'req-1' },
    )
    expect(upstream).toEqual({
      accept: 'text/event-stream',
      'user-agent': 'openai-python/1.0',
      'x-multi': ['a', 'b'],
      'content-type': 'application/json',
      'x-request-id': 'req-1',
    })
  })

  it("sends an upload's own content type, boundary and all, where the route passes it", () => {
    const contentType = 'multipart/form-data; boundary=openai-8f3k2m'
    expect(
      buildUpstreamRequestHeaders({ 'content-type': 'text/plain' }, { requestId: 'r', contentType })[
        'content-type'
      ],
    ).toBe(contentType)
  })
})

describe('Via', () => {
  it('adds the coordinator after the proxies the request came through (RFC 9110 §7.6.3)', () => {
    expect(buildUpstreamRequestHeaders({}, { requestId: 'r', via: 'llm-fleet-1a2b' }).via).toBe(
      '1.1 llm-fleet-1a2b',
    )
    expect(
      buildUpstreamRequestHeaders(
        { via: '1.0 fred, 1.1 p.example.net' },
        { requestId: 'r', via: 'llm-fleet-1a2b' },
      ).via,
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

describe('clientLocation', () => {
  const RUNTIME = 'http://10.0.0.5:8000/vllm/'

  it("makes the runtime's own URLs path-absolute on the coordinator, without the base path", () => {
    expect(clientLocation('http://10.0.0.5:8000/vllm/v1/chat/completions/?a=1#f', RUNTIME)).toBe(
      '/v1/chat/completions/?a=1#f',
    )
    expect(clientLocation('//10.0.0.5:8000/vllm/v1/models', RUNTIME)).toBe('/v1/models')
    expect(clientLocation('/vllm/v1/models/', RUNTIME)).toBe('/v1/models/')
    expect(clientLocation('http://10.0.0.5:8000/vllm', RUNTIME)).toBe('/')
    expect(clientLocation('http://10.0.0.5:8000/vllm?x=1', RUNTIME)).toBe('/?x=1')
    expect(clientLocation('http://10.0.0.5:8000/v1/models/', 'http://10.0.0.5:8000')).toBe('/v1/models/')
  })

  it('keeps relative references, paths outside the base path, and other origins', () => {
    expect(clientLocation('models/', RUNTIME)).toBe('models/')
    expect(clientLocation('/vllm2/v1/models', RUNTIME)).toBe('/vllm2/v1/models')
    expect(clientLocation('http://10.0.0.5:8001/vllm/v1', RUNTIME)).toBe('http://10.0.0.5:8001/vllm/v1')
    expect(clientLocation('https://huggingface.co/docs', RUNTIME)).toBe('https://huggingface.co/docs')
    expect(clientLocation('mailto:ops@example.com', RUNTIME)).toBe('mailto:ops@example.com')
  })

  it('drops the origin of any absolute http(s) URL when the runtime is not known', () => {
    expect(clientLocation('http://10.0.0.5:8000/v1/models/')).toBe('/v1/models/')
    expect(clientLocation('/vllm/v1/models')).toBe('/vllm/v1/models')
    expect(clientLocation('models/')).toBe('models/')
  })

  it('is applied by filterResponseHeaders to Location and Content-Location, one value or many', () => {
    expect(
      filterResponseHeaders(
        {
          location: 'http://10.0.0.5:8000/vllm/v1/models/',
          'content-location': ['http://10.0.0.5:8000/vllm/a', 'b'],
          'x-other': 'http://10.0.0.5:8000/vllm/untouched',
        },
        () => RUNTIME,
      ),
    ).toEqual({
      location: '/v1/models/',
      'content-location': ['/a', 'b'],
      'x-other': 'http://10.0.0.5:8000/vllm/untouched',
    })
  })
})
