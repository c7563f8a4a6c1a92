/**
 * Sends one inference request to the node the balancer picks and hands back the upstream response to
 * stream to the client. Owns failover (another node while nothing reached the client), failure counting
 * for cool-down, and the node's in-flight lease, which is released exactly once on every path.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { select } from '../core/balancer/select.js'
import {
  formatReason,
  type NoCandidateCause,
  type Selection,
  type SelectionReason,
} from '../core/balancer/selection.js'
import type { ApiKind, BalancerState } from '../core/balancer/strategy.js'
import type { NodeView } from '../core/node-view.js'
import { errorCode } from '../error-code.js'
import {
  ClientClosedRequestError,
  ModelNotServedError,
  NoCandidateError,
  QueueFullError,
  QueueTimeoutError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from '../errors.js'
import type { Lease } from '../registry/lease.js'
import type { ClientGoneSignal } from './client-gone-signal.js'
import {
  buildUpstreamRequestHeaders,
  filterResponseHeaders,
  type HeaderRecord,
} from './hop-by-hop-headers.js'
import { NO_PROXY_OBSERVER, type ProxyObserver, type RejectedRecord } from './proxy-observer.js'
import { isUpstreamBodyFailure } from './upstream-body-error.js'
import type { UpstreamPools } from './upstream-pools.js'
import type { WaitQueue } from './wait-queue.js'

/** What the forwarder needs from the registry (`NodeRegistry` provides it). */
export interface ForwardRegistry {
  snapshot(): readonly NodeView[]
  acquire(nodeId: string): Lease
  /** The node's registration (for its runtime URL), undefined once it is gone. */
  get(nodeId: string): { readonly registration: { readonly runtime: { readonly url: string } } } | undefined
  /** Counts a failure; true when it just put the node into cool-down. */
  reportUpstreamFailure(nodeId: string): boolean
  reportUpstreamSuccess(nodeId: string): void
}

/** The slice of a pino logger the forwarder writes to (a request's `request.log`). */
export interface ForwardLog {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

export interface RequestForwarderOptions {
  readonly registry: ForwardRegistry
  readonly pools: UpstreamPools
  readonly balancerState: BalancerState
  /** Other nodes to try after the first fails (`MAX_RETRIES`). */
  readonly maxRetries: number
  /** Cool-down length, for the log line that says a node entered one. */
  readonly coolDownMs: number
  /** Wall clock for the balancer (cool-down deadlines are wall-clock times). */
  readonly now: () => number
  /**
   * Where requests wait for a free slot when every node is busy (`QUEUE_WHEN_BUSY`); without it they
   * go to the balancer's busy choice and queue inside that runtime.
   */
  readonly waitQueue?: WaitQueue<InferenceRequest, QueueGrant> | undefined
  /** Told about every attempt and every outcome (metrics, the dashboard); none by default. */
  readonly observer?: ProxyObserver | undefined
}

/** A selection that names a node. */
export type SelectedNode = Extract<Selection, { kind: 'selected' }>

/** What a waiting request is handed: its node, and the slot on it, already taken for it. */
export interface QueueGrant {
  readonly selection: SelectedNode
  readonly lease: Lease
}

/** One inference request as the route parsed it. */
export interface InferenceRequest {
  readonly apiKind: ApiKind
  readonly model: string
  /** The route pattern, for the log (`/v1/chat/completions`). */
  readonly route: string
  readonly method: Dispatcher.HttpMethod
  /** Path and query as the client sent them; appended to the runtime's base path. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The body exactly as received: it is valid JSON, and re-serializing it would only cost time. */
  readonly body: Buffer
  readonly requestId: string
  /** Aborts when the client goes away: the upstream request is aborted at once. */
  readonly signal: ClientGoneSignal
  readonly log: ForwardLog
}

/** The upstream response to send on. Its body releases the lease and logs the request when it closes. */
export interface ForwardedResponse {
  readonly statusCode: number
  readonly headers: HeaderRecord
  readonly body: Dispatcher.ResponseData['body']
  readonly node: NodeView
  readonly reason: SelectionReason
  /** `formatReason(reason)`, computed once for the header and the log line. */
  readonly reasonText: string
}

/** Statuses after which another node may still succeed: the runtime is overloaded or a gateway failed. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503])

/**
 * Errors that mean the request never reached a runtime able to answer: connecting failed, or the
 * connection broke before any response. The next node may well succeed.
 */
const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
])

/** The `exclude` of a first attempt: shared, never mutated (failover allocates its own set). */
const NOTHING_TRIED: ReadonlySet<string> = new Set()

/** nginx's "client closed request": logged when the client left before the response. */
const STATUS_CLIENT_CLOSED = 499

export class RequestForwarder {
  readonly #options: RequestForwarderOptions
  readonly #observer: ProxyObserver

  constructor(options: RequestForwarderOptions) {
    this.#options = options
    this.#observer = options.observer ?? NO_PROXY_OBSERVER
  }

  /**
   * Forwards the request, failing over while nothing has reached the client. Throws the coded error to
   * render when no node can answer: `ModelNotServedError` (404), `NoCandidateError` (503),
   * `UpstreamUnreachableError` (502), `UpstreamTimeoutError` (504), `ClientClosedRequestError`.
   */
  async forward(request: InferenceRequest): Promise<ForwardedResponse> {
    const { registry, pools, maxRetries } = this.#options
    const startedAt = performance.now()
    // Allocated only on failover: most requests never need one.
    let exclude: Set<string> | null = null
    let selection = this.#select(request, NOTHING_TRIED)
    const { waitQueue } = this.#options
    // Capacity that appeared without a freed slot (a node registered, a cool-down ended) goes to the
    // requests already waiting, before this one.
    if (waitQueue !== undefined && waitQueue.size > 0 && this.#offerCapacity()) {
      selection = this.#select(request, NOTHING_TRIED)
    }
    if (selection.kind === 'none') {
      const error = this.#noCandidate(selection.cause, request.model, request.apiKind)
      throw this.#rejected(request, selection.cause, error)
    }
    // The slot a waiting request was granted, taken for it when it was woken.
    let grantedLease: Lease | null = null
    if (waitQueue !== undefined && mustWait(selection)) {
      const grant = await this.#waitForSlot(request, waitQueue)
      selection = grant.selection
      grantedLease = grant.lease
    }

    for (let retries = 0; ; retries++) {
      const { node, reason } = selection
      const reasonText = formatReason(reason)
      const lease = grantedLease ?? registry.acquire(node.id)
      grantedLease = null
      this.#observer.onAttempt(node, reason, retries)
      // The lease goes to the response body once it exists; until then this scope owns it.
      let isLeaseHandedOff = false
      try {
        let response: Dispatcher.ResponseData
        try {
          const target = pools.target(node.id, () => registry.get(node.id)?.registration.runtime.url)
          if (target === undefined) throw new UpstreamUnreachableError(`node ${node.name} is gone`)
          response = await target.pool.request({
            method: request.method,
            path: target.basePath + request.url,
            headers: buildUpstreamRequestHeaders(request.headers, request.requestId),
            body: request.body,
            signal: request.signal,
          })
        } catch (error) {
          if (request.signal.aborted) {
            this.#logProxied(request, node, reasonText, STATUS_CLIENT_CLOSED, null, startedAt, retries)
            throw new ClientClosedRequestError({ cause: error })
          }
          const failure = describeFailure(error, node)
          this.#reportFailure(node, request.log)
          exclude ??= new Set()
          exclude.add(node.id)
          const next = failure.isRetryable && retries < maxRetries ? this.#select(request, exclude) : null
          if (next?.kind === 'selected') {
            request.log.warn(
              { nodeId: node.id, node: node.name, err: error },
              'upstream failed: failing over',
            )
            selection = next
            continue
          }
          this.#logProxied(request, node, reasonText, failure.error.statusCode, null, startedAt, retries)
          throw failure.error
        }
        const ttfbMs = performance.now() - startedAt

        // Below 500 the head is not a success yet: a runtime may still die mid-stream. The body's end decides.
        if (response.statusCode >= 500) this.#reportFailure(node, request.log)

        if (RETRYABLE_STATUSES.has(response.statusCode) && retries < maxRetries) {
          exclude ??= new Set()
          exclude.add(node.id)
          const next = this.#select(request, exclude)
          if (next.kind === 'selected') {
            request.log.warn(
              { nodeId: node.id, node: node.name, status: response.statusCode },
              'upstream unavailable: failing over',
            )
            discard(response.body, request.log)
            selection = next
            continue
          }
        }

        const body = response.body
        body.once('close', () => {
          lease.release()
          this.#offerCapacity()
          if (response.statusCode < 500) {
            if (body.readableEnded) registry.reportUpstreamSuccess(node.id)
            // The runtime broke off or went silent mid-stream: a failure like a refused connection.
            else if (isUpstreamBodyFailure(body.errored)) this.#reportFailure(node, request.log)
          }
          this.#logProxied(request, node, reasonText, response.statusCode, ttfbMs, startedAt, retries, body)
        })
        isLeaseHandedOff = true
        return {
          statusCode: response.statusCode,
          headers: filterResponseHeaders(response.headers),
          body,
          node,
          reason,
          reasonText,
        }
      } finally {
        if (!isLeaseHandedOff) {
          lease.release()
          this.#offerCapacity()
        }
      }
    }
  }

  /** Waits in the queue for a slot; throws the coded 503 (or the client's abort) when none comes. */
  async #waitForSlot(request: InferenceRequest, queue: WaitQueue<InferenceRequest, QueueGrant>) {
    request.log.info({ model: request.model, route: request.route, ahead: queue.size }, 'request queued')
    const result = await queue.wait(request, request.signal)
    if (result.kind === 'granted') return result.grant
    request.log.info(
      { model: request.model, route: request.route, outcome: result.reason, waiting: queue.size },
      'queued request got no slot',
    )
    switch (result.reason) {
      case 'aborted':
        throw this.#rejected(request, 'client-closed', new ClientClosedRequestError())
      case 'full':
        throw this.#rejected(request, 'queue-full', new QueueFullError(queue.maxWaiters))
      case 'timeout':
        throw this.#rejected(request, 'queue-timeout', new QueueTimeoutError(queue.timeoutMs))
      case 'closed':
        throw this.#rejected(
          request,
          'shutting-down',
          new NoCandidateError('The coordinator is shutting down'),
        )
    }
  }

  /**
   * Hands free capacity to the waiters, oldest first, each with its node's slot already taken, so that
   * the next waiter (and a request arriving meanwhile) sees that slot gone. Waiters for the same model
   * and API see the same nodes, so one that cannot proceed rules out the rest of its kind. Returns
   * whether any waiter got a slot.
   */
  #offerCapacity(): boolean {
    const queue = this.#options.waitQueue
    if (queue === undefined || queue.size === 0) return false
    const stillBusy = new Set<string>()
    const grantFor = (waiting: InferenceRequest): QueueGrant | undefined => {
      const key = `${waiting.apiKind}\n${waiting.model}`
      if (stillBusy.has(key)) return undefined
      const selection = this.#select(waiting, NOTHING_TRIED)
      if (selection.kind === 'selected' && !mustWait(selection)) {
        return { selection, lease: this.#options.registry.acquire(selection.node.id) }
      }
      stillBusy.add(key)
      return undefined
    }
    let hasGranted = false
    while (queue.wakeFirst(grantFor)) hasGranted = true
    return hasGranted
  }

  /** Capacity freed outside this forwarder (another coordinator's request ended): wake waiters. */
  offerCapacity(): void {
    this.#offerCapacity()
  }

  #select(request: InferenceRequest, exclude: ReadonlySet<string>) {
    return select(
      this.#options.registry.snapshot(),
      { model: request.model, apiKind: request.apiKind, now: this.#options.now(), exclude },
      this.#options.balancerState,
    )
  }

  #noCandidate(cause: NoCandidateCause, model: string, apiKind: ApiKind): Error & { statusCode: number } {
    if (cause === 'model-not-served') return new ModelNotServedError(model)
    return new NoCandidateError(
      cause === 'all-cooling-down'
        ? `Every node serving ${model} is cooling down after upstream failures`
        : `No node that serves the ${apiKind === 'ollama' ? 'Ollama' : 'OpenAI'} API is online`,
    )
  }

  /** Tells the observer that no node took the request; returns `error` to throw. */
  #rejected<E extends Error & { statusCode: number }>(
    request: InferenceRequest,
    cause: RejectedRecord['cause'],
    error: E,
  ): E {
    this.#observer.onRejected({
      route: request.route,
      model: request.model,
      apiKind: request.apiKind,
      cause,
      status: error.statusCode,
    })
    return error
  }

  #reportFailure(node: NodeView, log: ForwardLog): void {
    if (this.#options.registry.reportUpstreamFailure(node.id)) {
      log.warn(
        { nodeId: node.id, node: node.name, coolDownMs: this.#options.coolDownMs },
        'node cooling down after repeated upstream failures',
      )
    }
  }

  #logProxied(
    request: InferenceRequest,
    node: NodeView,
    reasonText: string,
    status: number,
    ttfbMs: number | null,
    startedAt: number,
    retries: number,
    body?: Dispatcher.ResponseData['body'],
  ): void {
    const totalMs = performance.now() - startedAt
    const fields: Record<string, unknown> = {
      nodeId: node.id,
      node: node.name,
      model: request.model,
      route: request.route,
      reason: reasonText,
      status,
      ttfbMs: ttfbMs === null ? null : roundMs(ttfbMs),
      totalMs: roundMs(totalMs),
      retries,
    }
    let finalStatus = status
    // A body that closed before its end: the client left, or the runtime broke off mid-stream.
    if (body !== undefined && !body.readableEnded) {
      fields.isComplete = false
      if (request.signal.aborted) {
        finalStatus = STATUS_CLIENT_CLOSED
        fields.status = finalStatus
      }
      if (body.errored !== null) fields.err = body.errored
    }
    request.log.info(fields, 'proxied')
    this.#observer.onProxied({
      route: request.route,
      model: request.model,
      node,
      reasonText,
      status: finalStatus,
      ttfbMs,
      totalMs,
      retries,
    })
  }
}

interface Failure {
  readonly error: Error & { statusCode: number }
  readonly isRetryable: boolean
}

/**
 * Whether the balancer's choice has no room: spec mode found every candidate busy, or fastest-finish
 * judged queueing on a full node better than any node with room. Round-robin and metrics modes ignore
 * load by design and never wait.
 */
function mustWait(selection: SelectedNode): boolean {
  const { reason } = selection
  return reason.kind === 'all-busy' || (reason.kind === 'fastest-finish' && reason.inFlight >= reason.max)
}

/** Maps an undici or network error to the coded error to render, and whether another node may help. */
function describeFailure(error: unknown, node: NodeView): Failure {
  const code = errorCode(error)
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    // Minutes already went by (a model may have been loading); another node would start over.
    return {
      error: new UpstreamTimeoutError(`node ${node.name} sent no response in time`, { cause: error }),
      isRetryable: false,
    }
  }
  if (error instanceof UpstreamUnreachableError) return { error, isRetryable: true }
  return {
    error: new UpstreamUnreachableError(`node ${node.name} is unreachable`, { cause: error }),
    isRetryable: code !== undefined && UNREACHABLE_ERROR_CODES.has(code),
  }
}

/** Drops a response we will not send, freeing its connection; a failure here only loses that socket. */
function discard(body: Dispatcher.ResponseData['body'], log: ForwardLog): void {
  body.dump().catch((error: unknown) => log.warn({ err: error }, 'discarding an upstream response failed'))
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100
}
