/**
 * The demo's traffic: waves of chat requests of rising concurrency sent with the official `openai`
 * client, half of them streaming, each reported with the node that served it and the balancer's reason.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import type { SimulatedHost } from './simulated-host.js'

/** One wave of requests sent at the same moment. */
export interface TrafficPhase {
  /** What the wave shows, for the live view. */
  readonly title: string
  /** Requests sent at once; the next wave starts when all have finished. */
  readonly concurrency: number
}

/** A request as it is sent. */
export interface PlannedRequest {
  /** 1-based, over the whole run; also the `X-Request-Id` suffix. */
  readonly id: number
  readonly phase: number
  readonly isStreaming: boolean
}

/** Where the coordinator sent a request, from the response headers. */
export interface Routing {
  /** `X-Fleet-Node`. */
  readonly node: string
  /** `X-Fleet-Reason`. */
  readonly reason: string
}

/** How a request ended. */
export interface RequestOutcome extends PlannedRequest {
  /** Null when the request failed before any response. */
  readonly routing: Routing | null
  readonly completionTokens: number
  readonly latencyMs: number
  /** The error's message, or null on success. */
  readonly error: string | null
}

/** What the live view (or a test) hears about the traffic. */
export interface TrafficObserver {
  phaseStarted(phase: TrafficPhase, index: number, total: number): void
  requestRouted(request: PlannedRequest, routing: Routing): void
  /** A streamed chunk arrived; `tokens` so far. */
  requestProgress(request: PlannedRequest, tokens: number): void
  requestFinished(outcome: RequestOutcome): void
}

export interface TrafficOptions {
  /** The coordinator's base URL (`http://127.0.0.1:PORT`). */
  readonly coordinatorUrl: string
  readonly model: string
  /** `max_tokens` of every request: short answers keep the waves quick. */
  readonly maxTokens: number
  readonly observer: TrafficObserver
  /** Waited between two waves so that a person can read the screen; 0 in CI. */
  readonly pauseBetweenPhasesMs: number
  /** Stops sending and aborts the requests in flight. */
  readonly signal: AbortSignal
}

/** Longest a demo request may take before the client gives up (a stalled node must not hang the demo). */
const REQUEST_TIMEOUT_MS = 60_000
const REQUEST_ID_PREFIX = 'demo-'

/**
 * The waves that show each balancing behaviour on `hosts` (fastest first, as spec-first ranks them):
 * one at a time, then the fastest host's limit, then the first two hosts' limits, then more than the
 * whole fleet holds.
 */
export function demoPhases(hosts: readonly SimulatedHost[]): TrafficPhase[] {
  const [fastest, second] = hosts
  if (fastest === undefined || second === undefined) throw new Error('the demo needs at least two hosts')
  const fleetCapacity = hosts.reduce((sum, host) => sum + host.maxConcurrency, 0)
  return [
    { title: `one request at a time: the fastest host, ${fastest.name}, serves each`, concurrency: 1 },
    { title: `one request at a time, again`, concurrency: 1 },
    {
      title: `${fastest.maxConcurrency} at once: ${fastest.name} takes them all, up to its limit`,
      concurrency: fastest.maxConcurrency,
    },
    {
      title: `${fastest.maxConcurrency + second.maxConcurrency} at once: ${fastest.name} fills up, the rest spill over to ${second.name}`,
      concurrency: fastest.maxConcurrency + second.maxConcurrency,
    },
    {
      title: `${fleetCapacity + hosts.length} at once: every host at its limit, the rest round-robin`,
      concurrency: fleetCapacity + hosts.length,
    },
  ]
}

/**
 * Sends the waves one after the other and resolves with every request's outcome. Never rejects for a
 * failed request: failures are outcomes. Rejects only when `signal` aborts.
 */
export async function runTraffic(
  phases: readonly TrafficPhase[],
  options: TrafficOptions,
): Promise<RequestOutcome[]> {
  const pending = new Map<string, PlannedRequest>()
  const client = new OpenAI({
    baseURL: `${options.coordinatorUrl}/v1`,
    // The coordinator needs no key unless API_KEYS is set; the client insists on one.
    apiKey: 'llm-fleet-demo',
    // A failure must show, not be retried away by the client.
    maxRetries: 0,
    timeout: REQUEST_TIMEOUT_MS,
    fetch: routingFetch((requestId, routing) => {
      const request = pending.get(requestId)
      if (request !== undefined) options.observer.requestRouted(request, routing)
    }),
  })
  const outcomes: RequestOutcome[] = []
  let nextId = 1
  for (const [index, phase] of phases.entries()) {
    options.signal.throwIfAborted()
    if (index > 0 && options.pauseBetweenPhasesMs > 0)
      await sleep(options.pauseBetweenPhasesMs, undefined, { signal: options.signal })
    options.observer.phaseStarted(phase, index, phases.length)
    const wave = Array.from({ length: phase.concurrency }, (_, slot) => {
      // Alternate, so that every wave and every node sees both kinds.
      const request: PlannedRequest = { id: nextId++, phase: index, isStreaming: slot % 2 === 0 }
      return sendRequest(client, request, pending, options).then((outcome) => {
        options.observer.requestFinished(outcome)
        return outcome
      })
    })
    outcomes.push(...(await Promise.all(wave)))
  }
  return outcomes
}

async function sendRequest(
  client: OpenAI,
  request: PlannedRequest,
  pending: Map<string, PlannedRequest>,
  options: TrafficOptions,
): Promise<RequestOutcome> {
  const requestId = `${REQUEST_ID_PREFIX}${request.id}`
  pending.set(requestId, request)
  const startedAt = performance.now()
  let routing: Routing | null = null
  const requestOptions = { headers: { 'x-request-id': requestId }, signal: options.signal }
  const messages = [
    { role: 'user' as const, content: `Request ${request.id}: say something about GPUs in one sentence.` },
  ]
  try {
    let completionTokens: number
    if (request.isStreaming) {
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model: options.model,
            messages,
            max_tokens: options.maxTokens,
            stream: true,
            stream_options: { include_usage: true },
          },
          requestOptions,
        )
        .withResponse()
      routing = readRouting(response.headers)
      let chunkTokens = 0
      let usageTokens: number | undefined
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) {
          chunkTokens += 1
          options.observer.requestProgress(request, chunkTokens)
        }
        if (chunk.usage) usageTokens = chunk.usage.completion_tokens
      }
      completionTokens = usageTokens ?? chunkTokens
    } else {
      const { data, response } = await client.chat.completions
        .create({ model: options.model, messages, max_tokens: options.maxTokens }, requestOptions)
        .withResponse()
      routing = readRouting(response.headers)
      completionTokens = data.usage?.completion_tokens ?? 0
    }
    return { ...request, routing, completionTokens, latencyMs: performance.now() - startedAt, error: null }
  } catch (error) {
    if (options.signal.aborted) throw error
    return {
      ...request,
      routing,
      completionTokens: 0,
      latencyMs: performance.now() - startedAt,
      error: error instanceof Error ? error.message : String(error),
    }
  } finally {
    pending.delete(requestId)
  }
}

/**
 * A fetch for the openai client that reports each response's routing as soon as its headers arrive
 * (the client's own `.withResponse()` resolves only after a non-streamed body is read). Requests are
 * told apart by the `X-Request-Id` the coordinator echoes.
 */
function routingFetch(onRouted: (requestId: string, routing: Routing) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    const requestId = response.headers.get('x-request-id')
    const routing = readRouting(response.headers)
    if (requestId !== null && routing !== null) onRouted(requestId, routing)
    return response
  }
}

function readRouting(headers: Headers): Routing | null {
  const node = headers.get('x-fleet-node')
  const reason = headers.get('x-fleet-reason')
  return node === null ? null : { node, reason: reason ?? '' }
}
