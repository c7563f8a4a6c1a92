/**
 * Hostile input against the agent API (the real app through `inject`): random and mutated bodies,
 * NaN-like and huge numbers, deep nesting, oversized and empty bodies, bad UTF-8, wrong content types,
 * prototype-pollution keys, unknown ids, missing or wrong tokens, agents writing each other's metrics,
 * unusable runtime URLs. Never a 5xx, and a rejected request leaves the registry exactly as it was.
 */
import { RegistrationAccepted } from '@llm-fleet/types'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AGENT_TOKEN,
  deepArray,
  deepObject,
  hostileMutation,
  hostileValue,
  type JsonMutation,
  mutatedBodyText,
} from './helpers/hostile-input.js'
import { buildTestApp } from './helpers/start-coordinator.js'
import { metrics, registration } from './helpers/wire-samples.js'

const AUTH = { authorization: `Bearer ${AGENT_TOKEN}` }
const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' }
/** fast-check runs per property: enough to find a crash, small enough for the suite to stay fast. */
const RUNS = 150

/** An app with AGENT_TOKEN and one registered node; `state()` is the registry as the API lists it. */
async function appWithOneNode() {
  const built = await buildTestApp({ env: { AGENT_TOKEN } })
  const response = await built.app.inject({
    method: 'POST',
    url: '/api/agents',
    headers: AUTH,
    payload: registration(),
  })
  const { agentId } = RegistrationAccepted.parse(response.json())
  const pushed = await built.app.inject({
    method: 'POST',
    url: `/api/agents/${agentId}/metrics`,
    headers: AUTH,
    payload: metrics(agentId),
  })
  expect(pushed.statusCode).toBe(204)
  const state = () => JSON.stringify(built.registry.list())
  return { ...built, agentId, state }
}

type App = Awaited<ReturnType<typeof appWithOneNode>>

/** Sends a request and checks the two invariants: no 5xx, and no change unless it was accepted. */
async function expectSafe(
  app: App,
  request: {
    method: 'POST' | 'DELETE' | 'GET'
    url: string
    headers?: Record<string, string>
    payload?: string | Buffer
  },
): Promise<number> {
  const before = app.state()
  const response = await app.app.inject(request)
  expect(response.statusCode, response.body).toBeLessThan(500)
  if (response.statusCode >= 400) {
    expect(app.state()).toBe(before)
    // Every rejection is the agent API's error shape, never a stack trace (fastify's own 404 for a path
    // that matches no route, such as `/api/agents/./metrics`, has no `code`).
    const body = response.json<{ statusCode: number; code?: string; message: string }>()
    expect(body.statusCode).toBe(response.statusCode)
    expect(typeof body.message).toBe('string')
    if (response.statusCode !== 404) expect(typeof body.code).toBe('string')
    expect(body.message).not.toMatch(/\n\s+at /)
  }
  return response.statusCode
}

describe('agent API under hostile bodies (fast-check)', () => {
  it('random JSON bodies on every write route: never a 5xx, registry unchanged when rejected', async () => {
    const app = await appWithOneNode()
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom('/api/agents', `/api/agents/${app.agentId}/metrics`, '/api/agents/nobody/metrics'),
        async (value, url) => {
          await expectSafe(app, {
            method: 'POST',
            url,
            headers: JSON_HEADERS,
            payload: JSON.stringify(value),
          })
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('a valid registration with one field made hostile: never a 5xx, unchanged when rejected', async () => {
    const app = await appWithOneNode()
    await fc.assert(
      fc.asyncProperty(hostileMutation(registration()), async (mutation: JsonMutation) => {
        await expectSafe(app, {
          method: 'POST',
          url: '/api/agents',
          headers: JSON_HEADERS,
          payload: mutatedBodyText(registration(), mutation),
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('a valid metrics push with one field made hostile: never a 5xx, unchanged when rejected', async () => {
    const app = await appWithOneNode()
    await fc.assert(
      fc.asyncProperty(hostileMutation(metrics(app.agentId)), async (mutation: JsonMutation) => {
        await expectSafe(app, {
          method: 'POST',
          url: `/api/agents/${app.agentId}/metrics`,
          headers: JSON_HEADERS,
          payload: mutatedBodyText(metrics(app.agentId), mutation),
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('random agent ids in the path: 400 or 404, never a 5xx, nothing changes', async () => {
    const app = await appWithOneNode()
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (id) => {
        const url = `/api/agents/${encodeURIComponent(id)}`
        const before = app.state()
        const pushed = await expectSafe(app, {
          method: 'POST',
          url: `${url}/metrics`,
          headers: JSON_HEADERS,
          payload: JSON.stringify(metrics(id)),
        })
        const deleted = await expectSafe(app, { method: 'DELETE', url, headers: AUTH })
        if (id !== app.agentId) {
          expect([pushed, deleted].every((status) => status === 400 || status === 404)).toBe(true)
          expect(app.state()).toBe(before)
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe('agent API under hostile bytes', () => {
  it.each([
    ['1e309', '1e309'],
    ['-1e309', '-1e309'],
    ['NaN (not JSON)', 'NaN'],
    ['Infinity (not JSON)', 'Infinity'],
    ['"NaN"', '"NaN"'],
    ['"Infinity"', '"Infinity"'],
    ['"1e309"', '"1e309"'],
    ['a 40-digit integer', '1234567890123456789012345678901234567890'],
    ['-0', '-0'],
    ['1e-400', '1e-400'],
    ['a hex literal (not JSON)', '0x10'],
  ])('%s in every numeric field of a push', async (_name, raw) => {
    const app = await appWithOneNode()
    const sample = metrics(app.agentId)
    for (const field of [
      'cpuUsage',
      'memoryUsage',
      'activeRequests',
      'avgResponseTimeMs',
      'gpuUsage',
    ] as const) {
      const text = JSON.stringify({ ...sample, [field]: '@@RAW@@' }).replace('"@@RAW@@"', raw)
      const status = await expectSafe(app, {
        method: 'POST',
        url: `/api/agents/${app.agentId}/metrics`,
        headers: JSON_HEADERS,
        payload: text,
      })
      // -0 and 1e-400 (which is 0) are valid values; the rest are not.
      if (raw !== '-0' && raw !== '1e-400') expect(status).toBe(400)
    }
  })

  it.each([
    ['arrays', deepArray(10_000)],
    ['objects', deepObject(10_000)],
    [
      'a field holding 10 000 levels',
      JSON.stringify({ ...registration(), labels: '@@RAW@@' }).replace('"@@RAW@@"', deepObject(10_000)),
    ],
  ])('nesting 10 000 levels deep (%s) is a 400, not a stack overflow', async (_name, text) => {
    const app = await appWithOneNode()
    for (const url of ['/api/agents', `/api/agents/${app.agentId}/metrics`]) {
      expect(await expectSafe(app, { method: 'POST', url, headers: JSON_HEADERS, payload: text })).toBe(400)
    }
  })

  it('a body over the 1 MiB limit is a 413', async () => {
    const app = await appWithOneNode()
    const huge = JSON.stringify({ ...registration(), hostname: 'h'.repeat(1024 * 1024) })
    for (const url of ['/api/agents', `/api/agents/${app.agentId}/metrics`]) {
      expect(await expectSafe(app, { method: 'POST', url, headers: JSON_HEADERS, payload: huge })).toBe(413)
    }
  })

  it('empty bodies and bodies that are not objects are 400s', async () => {
    const app = await appWithOneNode()
    for (const payload of ['', ' ', 'null', '[]', '"text"', '42', 'true', '{', '}']) {
      for (const url of ['/api/agents', `/api/agents/${app.agentId}/metrics`]) {
        expect(await expectSafe(app, { method: 'POST', url, headers: JSON_HEADERS, payload })).toBe(400)
      }
    }
  })

  it('bad UTF-8 inside a JSON string: never a 5xx', async () => {
    const app = await appWithOneNode()
    const [head, tail] = JSON.stringify({ ...registration(), hostname: '@@RAW@@' }).split('@@RAW@@')
    for (const bytes of [
      [0xff],
      [0xc3, 0x28],
      [0xe2, 0x82],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
    ]) {
      const payload = Buffer.concat([Buffer.from(head ?? ''), Buffer.from(bytes), Buffer.from(tail ?? '')])
      await expectSafe(app, { method: 'POST', url: '/api/agents', headers: JSON_HEADERS, payload })
    }
  })

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
  ])('content type %s is a 415', async (contentType) => {
    const app = await appWithOneNode()
    for (const url of ['/api/agents', `/api/agents/${app.agentId}/metrics`]) {
      const status = await expectSafe(app, {
        method: 'POST',
        url,
        headers: { ...AUTH, 'content-type': contentType },
        payload: JSON.stringify(registration()),
      })
      expect(status).toBe(415)
    }
  })

  it.each([
    ['__proto__ at the top', `{"__proto__":{"polluted":true},${JSON.stringify(registration()).slice(1)}`],
    [
      '__proto__ inside a field',
      JSON.stringify({ ...registration(), cpu: '@@RAW@@' }).replace(
        '"@@RAW@@"',
        '{"__proto__":{"polluted":true},"model":"x","cores":1}',
      ),
    ],
    [
      'constructor.prototype',
      `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(registration()).slice(1)}`,
    ],
  ])('prototype pollution (%s) is rejected and pollutes nothing', async (_name, payload) => {
    const app = await appWithOneNode()
    expect(
      await expectSafe(app, { method: 'POST', url: '/api/agents', headers: JSON_HEADERS, payload }),
    ).toBe(400)
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('agent impersonation', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-agent-token' }],
    ['the token with a suffix', { authorization: `Bearer ${AGENT_TOKEN}x` }],
    ['the token as Basic', { authorization: `Basic ${AGENT_TOKEN}` }],
    ['the token without a scheme', { authorization: AGENT_TOKEN }],
  ])(
    'with %s nothing registers, pushes, drains or lists: 401',
    async (_name, headers: Record<string, string>) => {
      const app = await appWithOneNode()
      const withType = { ...headers, 'content-type': 'application/json' }
      const requests = [
        {
          method: 'POST',
          url: '/api/agents',
          headers: withType,
          payload: JSON.stringify(registration({ hostname: 'intruder' })),
        },
        {
          method: 'POST',
          url: `/api/agents/${app.agentId}/metrics`,
          headers: withType,
          payload: JSON.stringify(metrics(app.agentId, { cpuUsage: 99 })),
        },
        { method: 'DELETE', url: `/api/agents/${app.agentId}`, headers },
        { method: 'GET', url: '/api/agents', headers },
      ] as const
      for (const request of requests) expect(await expectSafe(app, request)).toBe(401)
    },
  )

  it('one agent cannot overwrite another agent’s metrics: the body’s agentId must match the path', async () => {
    const app = await appWithOneNode()
    const other = await app.app.inject({
      method: 'POST',
      url: '/api/agents',
      headers: AUTH,
      payload: registration({ hostname: 'other-host' }),
    })
    const otherId = RegistrationAccepted.parse(other.json()).agentId
    const status = await expectSafe(app, {
      method: 'POST',
      url: `/api/agents/${otherId}/metrics`,
      headers: JSON_HEADERS,
      payload: JSON.stringify(metrics(app.agentId, { cpuUsage: 99 })),
    })
    expect(status).toBe(400)
    expect(app.registry.get(otherId)?.metrics).toBeNull()
  })

  it.each([
    'file:///etc/passwd',
    'ftp://10.0.0.7:21',
    'javascript:alert(1)',
    'gopher://10.0.0.7:70',
    'http://10.0.0.7',
    'https://runtime.internal',
    'http://user:secret@10.0.0.7:11434',
    'http://10.0.0.7:11434/?redirect=http://evil:1',
    'http://10.0.0.7:11434/#x',
    '//10.0.0.7:11434',
    '10.0.0.7:11434',
    'http://:11434',
    '',
  ])('an advertised runtime URL %j is refused with 400', async (url) => {
    const app = await appWithOneNode()
    const status = await expectSafe(app, {
      method: 'POST',
      url: '/api/agents',
      headers: JSON_HEADERS,
      payload: JSON.stringify(registration({ hostname: 'new-host', runtime: { kind: 'ollama', url } })),
    })
    expect(status).toBe(400)
  })
})

describe('hostile value generator', () => {
  it('produces JSON-serializable values', () => {
    fc.assert(
      fc.property(hostileValue(), (value) => {
        expect(() => JSON.stringify(value)).not.toThrow()
      }),
      { numRuns: 50 },
    )
  })
})
