/**
 * Model-based test of the forwarder: a real coordinator (real fastify, real undici) in front of
 * scripted upstreams (real HTTP servers that do, per request, what the request's body tells them),
 * driven by random sequences from fast-check: requests streaming or not on two models and both APIs,
 * every upstream status 100-999 (a 1xx as the final answer too), headers then silence, a stream broken off, an error inside the stream,
 * a connection reset, a hang past the headers timeout, client aborts, nodes registering, pushing,
 * going stale, draining, cool-downs starting and ending, the wait queue on and off.
 *
 * After every step and every sequence the invariants of docs/reliability.md are checked against a
 * simple reference model (what the test itself knows about the nodes it made). A fixed seed and a
 * bounded run count keep CI deterministic and short; `FORWARDER_MODEL_RUNS=200 pnpm bench` runs longer.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import fc from 'fast-check'
import { Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { type BalancerState, createBalancerState } from '../src/core/balancer/strategy.js'
import { createForwardWaitQueue, type ForwardWaitQueue } from '../src/proxy/forward-request.js'
import { NodeRegistry } from '../src/registry/node-registry.js'
import { scrapeMetrics } from './helpers/scrape-metrics.js'
import {
  createCapturingLogger,
  createWallClock,
  nodeRegistration,
  waitFor,
} from './helpers/start-coordinator.js'
import { metrics } from './helpers/wire-samples.js'

const RUNS = Number(process.env.FORWARDER_MODEL_RUNS ?? 40)
const SEED = Number(process.env.FORWARDER_MODEL_SEED ?? 20261129)
const MODELS = ['m1', 'm2'] as const
const TTL_MS = 60_000
const COOL_DOWN_MS = 150

// ---- What a request asks its upstream to do -------------------------------------------------------

type Behaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'model-missing' }
  | { readonly kind: 'silence-after-headers' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'broken-stream' }
  | { readonly kind: 'stream-error'; readonly code: number | null }
  | { readonly kind: 'reset' }

/** `on-landing`: once the request is at an upstream, in the wait queue or answered (a waiter leaving). */
type Abort = 'none' | 'at-upstream' | 'after-first-byte' | 'on-landing'

interface RequestStep {
  readonly kind: 'request'
  readonly model: (typeof MODELS)[number]
  readonly api: 'openai' | 'ollama'
  readonly stream: boolean
  readonly behaviour: Behaviour
  readonly abort: Abort
}

type Step =
  | RequestStep
  | {
      readonly kind: 'register'
      readonly runtime: 'openai' | 'ollama'
      readonly models: readonly string[]
      readonly maxConcurrency: number
      readonly score: number
    }
  | { readonly kind: 'push'; readonly node: number; readonly backlog: number }
  /** Every node pushes: the whole fleet busy with other work, or free again. */
  | { readonly kind: 'push-all'; readonly backlog: number }
  | { readonly kind: 'stale'; readonly node: number }
  | { readonly kind: 'drain'; readonly node: number }
  | { readonly kind: 'cool-down'; readonly node: number }
  | { readonly kind: 'settle' }

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'ok' as const }) },
  {
    weight: 3,
    arbitrary: fc.integer({ min: 100, max: 999 }).map((status) => ({ kind: 'status' as const, status })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'model-missing' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'silence-after-headers' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'hang' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'broken-stream' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(400, 500, null).map((code) => ({ kind: 'stream-error' as const, code })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
)

const nodeIndex = fc.nat({ max: 5 })
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      model: fc.constantFrom(...MODELS),
      api: fc.constantFrom('openai' as const, 'ollama' as const),
      stream: fc.boolean(),
      behaviour,
      abort: fc.constantFrom<Abort>('none', 'none', 'none', 'at-upstream', 'after-first-byte', 'on-landing'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('register' as const),
      runtime: fc.constantFrom('openai' as const, 'ollama' as const),
      models: fc.subarray([...MODELS], { minLength: 1 }),
      maxConcurrency: fc.integer({ min: 1, max: 2 }),
      score: fc.constantFrom(100, 500),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      node: nodeIndex,
      backlog: fc.nat({ max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), node: nodeIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), node: nodeIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cool-down' as const), node: nodeIndex }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('push-all' as const), backlog: fc.constantFrom(0, 2) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
)

/** A fleet first (most sequences would otherwise send into nothing), then anything. */
const sequence: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(
      step.filter((s) => s.kind === 'register'),
      { minLength: 1, maxLength: 3 },
    ),
    // medium: small sizes left most sequences with a request or two (4 scripted statuses in 40 runs).
    fc.array(step, { maxLength: 14, size: 'medium' }),
  )
  .map(([fleet, rest]) => [...fleet, ...rest])

// ---- Scripted upstreams ---------------------------------------------------------------------------

interface Upstream {
  readonly url: string
  /** Tags of the requests that reached it. */
  readonly seen: Set<string>
  /** Tags of the requests it is answering now. */
  readonly active: Set<string>
  readonly sockets: Set<Socket>
  close(): Promise<void>
}

interface ScriptedBody {
  readonly model: string
  readonly stream?: boolean
  readonly tag: string
  readonly behaviour: Behaviour
}

async function startUpstream(onRequest: (tag: string) => void): Promise<Upstream> {
  const seen = new Set<string>()
  const active = new Set<string>()
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as ScriptedBody
      seen.add(body.tag)
      active.add(body.tag)
      res.on('close', () => active.delete(body.tag))
      onRequest(body.tag)
      act(req, res, body)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    active,
    sockets,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function act(req: IncomingMessage, res: ServerResponse, body: ScriptedBody): void {
  const isOpenAi = req.url?.startsWith('/v1/') === true
  const json = (status: number, value: unknown) => {
    const text = JSON.stringify(value)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  const streamHead = () =>
    res.writeHead(200, { 'content-type': isOpenAi ? 'text/event-stream' : 'application/x-ndjson' })
  const chunk = (text: string) =>
    isOpenAi
      ? `data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`
      : `${JSON.stringify({ message: { content: text }, done: false })}\n`
  const b = body.behaviour
  switch (b.kind) {
    case 'ok':
      if (body.stream === true) {
        streamHead()
        res.write(chunk('a'))
        res.end(isOpenAi ? 'data: [DONE]\n\n' : `${JSON.stringify({ done: true })}\n`)
      } else json(200, { ok: true })
      return
    case 'status':
      json(b.status, { error: `scripted ${b.status}` })
      return
    case 'model-missing':
      json(404, { error: `model '${body.model}' not found` })
      return
    case 'silence-after-headers':
      streamHead()
      res.flushHeaders()
      return
    case 'hang':
      return
    case 'broken-stream':
      streamHead()
      res.write(chunk('a'), () => res.destroy())
      return
    case 'stream-error': {
      streamHead()
      res.write(chunk('a'))
      const error = isOpenAi
        ? `data: ${JSON.stringify({ error: { message: 'scripted', type: 'X', code: b.code ?? 500 } })}\n\ndata: [DONE]\n\n`
        : `${JSON.stringify({ error: 'scripted' })}\n`
      res.end(error)
      return
    }
    case 'reset':
      req.socket.destroy()
      return
  }
}

// ---- One run ---------------------------------------------------------------------------------------

interface NodeModel {
  readonly id: string
  readonly name: string
  readonly upstream: Upstream
  readonly runtime: 'openai' | 'ollama'
  readonly models: readonly string[]
  isGone: boolean
}

interface Sent {
  readonly step: RequestStep
  readonly tag: string
  readonly done: Promise<Outcome>
  readonly isSettled: boolean
  abort(): void
}

interface Outcome {
  readonly status: number | null
  readonly body: string
  readonly isAborted: boolean
  readonly node: string | null
}

/** Where a request was first seen after it was sent: answered, at an upstream, or in the wait queue. */
type Landing = 'answered' | 'upstream' | 'queue'

/** Runs the steps, checking every invariant; returns what each request's client got, and where it landed. */
async function run(
  steps: readonly Step[],
  isQueueOn: boolean,
): Promise<(Outcome & { readonly landedIn: Landing })[]> {
  const env: Record<string, string> = {
    PORT: '0',
    AGENT_TTL_MS: String(TTL_MS),
    PUSH_INTERVAL_MS: '1000',
    COOL_DOWN_MS: String(COOL_DOWN_MS),
    UPSTREAM_HEADERS_TIMEOUT_MS: '250',
    UPSTREAM_BODY_TIMEOUT_MS: '250',
    QUEUE_WHEN_BUSY: String(isQueueOn),
    QUEUE_TIMEOUT_MS: '4000',
    LOAD_BALANCER_MODE: 'spec',
  }
  const config = loadConfig({ env, argv: [] })
  const clock = createWallClock()
  const lines: Record<string, unknown>[] = []
  const logger = createCapturingLogger(lines)
  const log = { info: () => undefined, warn: () => undefined }
  const registry = new NodeRegistry({
    clock: clock.now,
    ttlMs: config.agentTtlMs,
    maxNodes: 100,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log,
  })
  const balancerState: BalancerState = createBalancerState(() => 0.5, { mode: 'spec' })
  const waitQueue: ForwardWaitQueue = createForwardWaitQueue({
    maxWaiters: 8,
    timeoutMs: config.queueTimeoutMs,
  })
  const app = await buildApp({ registry, balancerState, clock: clock.now, waitQueue, logger }, config)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  const client = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  const nodes: NodeModel[] = []
  const sent: Sent[] = []
  const landings = new Map<string, Landing>()
  const abortAtUpstream = new Map<string, AbortController>()

  const live = () => nodes.filter((node) => !node.isGone)
  const pick = (index: number) => {
    const candidates = live()
    return candidates.length === 0 ? undefined : candidates[index % candidates.length]
  }

  try {
    for (const [index, current] of steps.entries()) {
      switch (current.kind) {
        case 'register': {
          const upstream = await startUpstream((tag) => abortAtUpstream.get(tag)?.abort())
          const name = `node-${nodes.length}`
          const id = registry.register(
            nodeRegistration(upstream.url, {
              hostname: name,
              kind: current.runtime,
              models: current.models,
              maxConcurrency: current.maxConcurrency,
              computeScore: current.score,
            }),
          ).agentId
          nodes.push({ id, name, upstream, runtime: current.runtime, models: current.models, isGone: false })
          break
        }
        case 'request': {
          const queued = waitQueue.size
          const entry = send(base, client, current, `r${index}`, abortAtUpstream)
          sent.push(entry)
          // Until it lands (at an upstream, in the queue, or answered), so the next step meets it there.
          await waitFor(
            () =>
              entry.isSettled ||
              waitQueue.size > queued ||
              nodes.some((node) => node.upstream.seen.has(entry.tag)),
            `${entry.tag} landed`,
            3_000,
          )
          const isAtUpstream = nodes.some((node) => node.upstream.seen.has(entry.tag))
          landings.set(entry.tag, waitQueue.size > queued ? 'queue' : isAtUpstream ? 'upstream' : 'answered')
          if (current.abort === 'on-landing') entry.abort()
          break
        }
        case 'push': {
          const node = pick(current.node)
          if (node !== undefined) pushMetrics(registry, node, current.backlog)
          break
        }
        case 'push-all':
          for (const node of live()) pushMetrics(registry, node, current.backlog)
          break
        case 'stale': {
          // Time passes beyond the TTL; every other node pushes and stays online.
          const node = pick(current.node)
          clock.advance(TTL_MS + 1)
          for (const other of live()) if (other !== node) pushMetrics(registry, other, 0)
          break
        }
        case 'drain': {
          const node = pick(current.node)
          if (node === undefined) break
          node.isGone = true
          registry.drain(node.id)
          break
        }
        case 'cool-down': {
          const node = pick(current.node)
          if (node !== undefined) while (!registry.reportUpstreamFailure(node.id)) {}
          break
        }
        case 'settle':
          await Promise.all(sent.map((entry) => entry.done))
          break
      }
      await checkNoWaiterBesideFreeSlot(registry, waitQueue, nodes, sent, clock.now)
    }

    // Traffic stops.
    const outcomes = await Promise.all(sent.map((entry) => entry.done))
    for (const [i, outcome] of outcomes.entries()) checkResponse(sent[i] as Sent, outcome)
    await waitFor(
      () => registry.snapshot().every((node) => node.inFlight === 0),
      'every lease returned',
      5_000,
    )
    // A body's `proxied` line is written as its lease returns: every line is in by now.
    await checkOneSummaryLinePerRequest(lines, sent)
    expect(waitQueue.size).toBe(0)
    // Every request ended, so none still counts as a prompt a node has to prefill.
    expect([...balancerState.knowledge.awaitingTokens].filter((tokens) => tokens !== 0)).toEqual([])

    // Each request counted exactly once: by the node that answered it, or as rejected (node "").
    // A removed node takes its series with it, so the count is exact only while none was removed.
    if (!steps.some((current) => current.kind === 'drain')) {
      await waitFor(
        async () => (await scrapeMetrics(base)).sum('llm_fleet_requests_total') === sent.length,
        `llm_fleet_requests_total = ${sent.length}`,
        3_000,
      )
    }

    // Every node leaves: nothing of any of them stays behind.
    for (const node of live()) {
      node.isGone = true
      registry.drain(node.id)
    }
    expect(registry.size).toBe(0)
    expect(registry.modelHealthEntries).toBe(0)
    expect([...balancerState.cursors.keys()].filter((key) => key.startsWith('spec:'))).toEqual([])
    await waitFor(
      () => nodes.every((node) => node.upstream.sockets.size === 0),
      'every upstream connection closed with its pool',
      5_000,
    )
    const scrape = await scrapeMetrics(base)
    for (const node of nodes) expect(scrape.text).not.toContain(`node="${node.name}"`)
    return outcomes.map((outcome, i) => ({
      ...outcome,
      landedIn: landings.get((sent[i] as Sent).tag) as Landing,
    }))
  } finally {
    await app.close()
    await client.close()
    await Promise.all(nodes.map((node) => node.upstream.close()))
  }
}

function pushMetrics(registry: NodeRegistry, node: NodeModel, backlog: number): void {
  const inFlight = registry.snapshot().find((view) => view.id === node.id)?.inFlight ?? 0
  registry.ingestMetrics(
    node.id,
    metrics(node.id, {
      activeRequests: inFlight + backlog,
      cpuUsage: 1,
      gpuUsage: 1,
      runtime: { up: true, models: [...node.models], loadedModels: [] },
    }),
  )
}

function send(
  base: string,
  client: Agent,
  step: RequestStep,
  tag: string,
  abortAtUpstream: Map<string, AbortController>,
): Sent {
  const controller = new AbortController()
  if (step.abort === 'at-upstream') abortAtUpstream.set(tag, controller)
  const path = step.api === 'openai' ? '/v1/chat/completions' : '/api/chat'
  const body: ScriptedBody & { messages: unknown[] } = {
    model: step.model,
    stream: step.stream,
    tag,
    behaviour: step.behaviour,
    messages: [{ role: 'user', content: tag }],
  }
  const state = { isSettled: false }
  const done = (async (): Promise<Outcome> => {
    try {
      const response = await request(`${base}${path}`, {
        method: 'POST',
        dispatcher: client,
        // The tag as the request id: the coordinator keeps a client's id, so its log lines carry the tag.
        headers: { 'content-type': 'application/json', 'x-request-id': tag },
        body: JSON.stringify(body),
        signal: controller.signal,
      })
      const node = response.headers['x-fleet-node']
      let text = ''
      for await (const part of response.body) {
        text += String(part)
        if (step.abort === 'after-first-byte') controller.abort()
      }
      return {
        status: response.statusCode,
        body: text,
        isAborted: false,
        node: typeof node === 'string' ? node : null,
      }
    } catch (error) {
      if (controller.signal.aborted) return { status: null, body: '', isAborted: true, node: null }
      // The coordinator passed a broken upstream stream on: the connection ends early, never a 500.
      return { status: null, body: String(error), isAborted: false, node: null }
    } finally {
      state.isSettled = true
    }
  })()
  return {
    step,
    tag,
    done,
    get isSettled() {
      return state.isSettled
    },
    abort: () => controller.abort(),
  }
}

/** Every client got a response or an API-shaped error; never fastify's 500 or a status beyond HTTP. */
function checkResponse(sent: Sent, outcome: Outcome): void {
  if (outcome.isAborted) return
  const context = `${sent.tag} ${JSON.stringify(sent.step)} -> ${outcome.status} ${outcome.body.slice(0, 200)}`
  if (outcome.status === null) {
    // Only a stream the upstream broke off (or that went silent) may end without a complete response.
    expect(['broken-stream', 'silence-after-headers', 'reset'], context).toContain(sent.step.behaviour.kind)
    return
  }
  expect(outcome.status, context).toBeGreaterThanOrEqual(200)
  expect(outcome.status, context).toBeLessThanOrEqual(599)
  expect(outcome.body, context).not.toContain('FLEET_INTERNAL')
  expect(outcome.body, context).not.toContain('Internal Server Error')
  if (outcome.node !== null) return
  // The coordinator's own error: the API's shape.
  const parsed = JSON.parse(outcome.body) as { error?: unknown }
  if (sent.step.api === 'ollama') expect(typeof parsed.error, context).toBe('string')
  else
    expect(parsed.error, context).toMatchObject({
      message: expect.any(String),
      code: expect.stringMatching(/^FLEET_/),
    })
}

/**
 * The request's one summary line: `proxied` once it reached a node, else the coded line of the error
 * that refused it (no candidate, queue full or timed out, ...); an unexpected error's line counts too,
 * so that a path that adds one shows as a second line.
 */
function isSummaryLine(line: Record<string, unknown>): boolean {
  if (line.msg === 'proxied' || line.msg === 'unexpected error') return true
  return typeof line.code === 'string' && typeof line.statusCode === 'number'
}

/**
 * Each request leaves exactly one summary line, matched by its id, whatever befell it. A body's line
 * comes when the coordinator sees it close, which may be after the client read its end: polled.
 */
async function checkOneSummaryLinePerRequest(
  lines: readonly Record<string, unknown>[],
  sent: readonly Sent[],
): Promise<void> {
  const counts = () => {
    const byTag = new Map(sent.map((entry) => [entry.tag, 0]))
    for (const line of lines) {
      const count = typeof line.reqId === 'string' ? byTag.get(line.reqId) : undefined
      if (count !== undefined && isSummaryLine(line)) byTag.set(line.reqId as string, count + 1)
    }
    return byTag
  }
  const isOnePerRequest = () => [...counts().values()].every((count) => count === 1)
  await waitFor(isOnePerRequest, 'one summary line per request', 3_000).catch(() => undefined)
  const wrong = [...counts()].filter(([, count]) => count !== 1)
  const describe = ([tag, count]: [string, number]) => ({
    tag,
    count,
    step: sent.find((entry) => entry.tag === tag)?.step,
    lines: lines.filter((line) => line.reqId === tag).map((line) => [line.msg, line.code, line.status]),
  })
  expect(wrong.map(describe)).toEqual([])
}

/**
 * The reference model's view of a slot: an online node, not draining, not cooling down, serving the
 * model and the API, with room (in flight plus backlog below its capacity). A waiting request never
 * sits beside one it has not tried yet.
 */
async function checkNoWaiterBesideFreeSlot(
  registry: NodeRegistry,
  queue: ForwardWaitQueue,
  nodes: readonly NodeModel[],
  sent: readonly Sent[],
  now: () => number,
): Promise<void> {
  const isStuck = () => {
    if (queue.size === 0) return false
    // Unsettled and at no upstream now: waiting (or on its way between two steps of the proxy).
    const waiting = sent.filter(
      (entry) => !entry.isSettled && nodes.every((node) => !node.upstream.active.has(entry.tag)),
    )
    // The registry's clock, read at every poll: a cool-down may end while this waits.
    const at = now()
    return waiting.some((entry) => freeSlotFor(registry, nodes, entry, at) !== undefined)
  }
  await waitFor(() => !isStuck(), 'no waiter beside a free slot', 2_000)
}

function freeSlotFor(registry: NodeRegistry, nodes: readonly NodeModel[], entry: Sent, now: number) {
  const cooling = registry.coolingForModel(entry.step.model)
  return registry.snapshot().find((view) => {
    const node = nodes.find((candidate) => candidate.id === view.id)
    if (node === undefined || node.upstream.seen.has(entry.tag)) return false
    if (view.state !== 'online' || !view.models.has(entry.step.model)) return false
    if (entry.step.api === 'ollama' && view.runtimeKind !== 'ollama') return false
    if (view.coolingDownUntilMs !== null && view.coolingDownUntilMs > now) return false
    if (cooling?.has(view.id) === true) return false
    return view.inFlight + view.runtimeBacklog < view.maxConcurrency
  })
}

describe('the forwarder against a reference model', () => {
  it('a fixed sequence: a status beyond 599 ends in an API-shaped 502 with the lease returned, logged once', async () => {
    const outcomes = await run(
      [
        { kind: 'register', runtime: 'openai', models: ['m1'], maxConcurrency: 1, score: 100 },
        {
          kind: 'request',
          model: 'm1',
          api: 'openai',
          stream: false,
          behaviour: { kind: 'status', status: 852 },
          abort: 'none',
        },
      ],
      false,
    )
    expect(outcomes.map((outcome) => outcome.status)).toEqual([502])
  })

  it('a fixed sequence: a push that frees the busy fleet wakes the request waiting for it', async () => {
    const outcomes = await run(
      [
        { kind: 'register', runtime: 'ollama', models: ['m1'], maxConcurrency: 1, score: 100 },
        { kind: 'push-all', backlog: 2 },
        {
          kind: 'request',
          model: 'm1',
          api: 'ollama',
          stream: false,
          behaviour: { kind: 'ok' },
          abort: 'none',
        },
        { kind: 'push-all', backlog: 0 },
      ],
      true,
    )
    expect(outcomes.map(({ landedIn, status }) => ({ landedIn, status }))).toEqual([
      { landedIn: 'queue', status: 200 },
    ])
  })

  // A 1xx as the final status (undici 7.30): 100 fails the socket ("bad response", a retryable 502);
  // 101 without an upgrade trips undici's assert(upgrade) (ERR_ASSERTION, a 502); 102-199 are taken as
  // informational and undici waits on for the final head until the headers timeout (a 504).
  it.each([
    [100, 502],
    [101, 502],
    [103, 504],
    [199, 504],
  ])(
    'a fixed sequence: an upstream answering %i as its final status ends in an API-shaped %i',
    async (status, expected) => {
      const outcomes = await run(
        [
          { kind: 'register', runtime: 'ollama', models: ['m1'], maxConcurrency: 1, score: 100 },
          ...(['openai', 'ollama'] as const).map(
            (api): Step => ({
              kind: 'request',
              model: 'm1',
              api,
              stream: false,
              behaviour: { kind: 'status', status },
              abort: 'none',
            }),
          ),
        ],
        false,
      )
      expect(outcomes.map((outcome) => outcome.status)).toEqual([expected, expected])
    },
  )

  it('a fixed sequence: a client that leaves while the upstream is silent after its headers, logged once', async () => {
    await run(
      [
        { kind: 'register', runtime: 'openai', models: ['m2'], maxConcurrency: 1, score: 100 },
        {
          kind: 'request',
          model: 'm2',
          api: 'openai',
          stream: false,
          behaviour: { kind: 'silence-after-headers' },
          abort: 'at-upstream',
        },
      ],
      false,
    )
  })

  it('a fixed sequence: a client that leaves the wait queue leaves one summary line', async () => {
    const outcomes = await run(
      [
        { kind: 'register', runtime: 'ollama', models: ['m1'], maxConcurrency: 1, score: 100 },
        { kind: 'push-all', backlog: 2 },
        {
          kind: 'request',
          model: 'm1',
          api: 'ollama',
          stream: false,
          behaviour: { kind: 'ok' },
          abort: 'on-landing',
        },
      ],
      true,
    )
    expect(outcomes.map(({ landedIn, isAborted }) => ({ landedIn, isAborted }))).toEqual([
      { landedIn: 'queue', isAborted: true },
    ])
  })

  it.each([
    ['queue off', false],
    ['queue on', true],
  ])(
    `keeps every invariant over ${RUNS} random sequences (%s)`,
    async (_what, isQueueOn) => {
      await fc.assert(
        fc.asyncProperty(sequence, async (steps) => {
          await run(steps, isQueueOn)
        }),
        { numRuns: Math.ceil(RUNS / 2), seed: SEED },
      )
    },
    120_000,
  )
})
