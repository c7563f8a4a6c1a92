/**
 * Sends one inference request to the node the balancer picks and hands back the upstream response to
 * stream to the client. Owns failover (another node while nothing reached the client), failure counting
 * for cool-down, and the node's in-flight lease, which is released exactly once on every path.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { select } from '../core/balancer/select.js'
import {
  formatReason,
  type NoCandidateCause,
  type Selection,
  type SelectionReason,
} from '../core/balancer/selection.js'
import type { ApiKind, BalancerState, RequestProbe } from '../core/balancer/strategy.js'
import type { NodeView } from '../core/node-view.js'
import {
  ClientClosedRequestError,
  ModelNotServedError,
  NoCandidateError,
  QueueFullError,
  QueueTimeoutError,
  UpstreamInvalidResponseError,
  UpstreamUnreachableError,
} from '../errors.js'
import type { Lease } from '../registry/lease.js'
import type { ClientGoneSignal } from './client-gone-signal.js'
import {
  buildUpstreamRequestHeaders,
  filterResponseHeaders,
  type HeaderRecord,
} from './hop-by-hop-headers.js'
import { type Attempt, logProxied, STATUS_CLIENT_CLOSED } from './proxied-log.js'
import { NO_PROXY_OBSERVER, type ProxyObserver, type RejectedRecord, tapBody } from './proxy-observer.js'
import { scanErrors } from './stream-error-scanner.js'
import { isUpstreamBodyFailure } from './upstream-body-error.js'
import { describeFailure, discard } from './upstream-failure.js'
import type { UpstreamPools } from './upstream-pools.js'
import { credentialsRefused, judgeHead, type UpstreamVerdict } from './upstream-verdict.js'
import { mustWait, waitingKey } from './wait-policy.js'
import { WaitQueue } from './wait-queue.js'

/** What the forwarder needs from the registry (`NodeRegistry` provides it). */
export interface ForwardRegistry {
  snapshot(): readonly NodeView[]
  acquire(nodeId: string): Lease
  /** The node's registration (for its runtime URL), undefined once it is gone. */
  get(nodeId: string): { readonly registration: { readonly runtime: { readonly url: string } } } | undefined
  /** `Authorization` for the node's runtime (its registered API key), undefined without one. */
  upstreamAuthorization?(nodeId: string): string | undefined
  /** Counts a failure of the whole node (unreachable, timed out); true when it just started a cool-down. */
  reportUpstreamFailure(nodeId: string): boolean
  /** Counts a failure of the node for one model; true when it just started a cool-down for it. */
  reportModelFailure(nodeId: string, model: string): boolean
  reportUpstreamSuccess(nodeId: string, model?: string): void
  /** Nodes cooling down for this model alone; null when none. */
  coolingForModel(model: string): ReadonlySet<string> | null
  /** The node answered 404 for the model, or refused its key for it: skip it for the model until its next report. */
  markModelMissing(nodeId: string, model: string, why?: 'not-found' | 'refused'): void
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
  readonly waitQueue?: ForwardWaitQueue | undefined
  /** Told about every attempt and every outcome (metrics, the dashboard); none by default. */
  readonly observer?: ProxyObserver | undefined
  /** This coordinator's name in the `Via` header it adds upstream (app.ts refuses one that comes back). */
  readonly via?: string | undefined
}

/** A selection that names a node. */
export type SelectedNode = Extract<Selection, { kind: 'selected' }>

/** What a waiting request is handed: its node, and the slot on it, already taken for it. */
export interface QueueGrant {
  readonly selection: SelectedNode
  readonly lease: Lease
}

/** A request in the wait queue, with the nodes it already tried (a failover waits too). */
export interface WaitingRequest {
  readonly request: InferenceRequest
  readonly exclude: ReadonlySet<string>
}

export type ForwardWaitQueue = WaitQueue<WaitingRequest, QueueGrant>

/**
 * The forwarder's wait queue (`QUEUE_WHEN_BUSY`), its waiters keyed as the forwarder wakes them
 * (`waitingKey`), so that the balancer counts the requests held for a model (`heldForModel`).
 */
export function createForwardWaitQueue(limits: { maxWaiters: number; timeoutMs: number }): ForwardWaitQueue {
  return new WaitQueue({ ...limits, keyOf: (waiting: WaitingRequest) => waitingKey(waiting.request) })
}

/** One inference request as the route parsed it. */
export interface InferenceRequest {
  readonly apiKind: ApiKind
  readonly model: string
  /** `ollamaModelKey(model)`, computed once per request for the balancer's Ollama nodes. */
  readonly ollamaModelKey?: string | undefined
  /** The route pattern, for the log (`/v1/chat/completions`). */
  readonly route: string
  readonly method: Dispatcher.HttpMethod
  /** Path and query as the client sent them; appended to the runtime's base path. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The body exactly as received (JSON, or an upload's form): re-serializing it would only cost time. */
  readonly body: Buffer
  /**
   * The body's content type upstream: a multipart upload keeps the client's (its boundary); absent:
   * `application/json`.
   */
  readonly contentType?: string | undefined
  readonly requestId: string
  /** Aborts when the client goes away: the upstream request is aborted at once. */
  readonly signal: ClientGoneSignal
  readonly log: ForwardLog
  /** Prompt size and prefix hashes for the default balancer (`probeOf(body)`); absent: not estimated. */
  readonly probe?: RequestProbe | undefined
  /** The client asked for a streamed answer (`AttemptRequest.isStreaming`). Absent: streamed. */
  readonly isStreaming?: boolean | undefined
}

/** The upstream response to send on. Its body releases the lease and logs the request when it closes. */
export interface ForwardedResponse {
  readonly statusCode: number
  readonly headers: HeaderRecord
  readonly body: Readable
  readonly node: NodeView
  readonly reason: SelectionReason
  /** `formatReason(reason)`, computed once for the header and the log line. */
  readonly reasonText: string
  /** The runtime answered with a stream (SSE or NDJSON), whatever the client asked for. */
  readonly isStreamed: boolean
}

/** The `exclude` of a first attempt: shared, never mutated (failover allocates its own set). */
const NOTHING_TRIED: ReadonlySet<string> = new Set()

/** Content types of streamed answers (OpenAI's server-sent events, Ollama's NDJSON): scanned for errors, and unbuffered. */
const STREAMING_CONTENT_TYPE = /^(text\/event-stream|application\/x-ndjson)/i

/** What one request's attempts have learned so far. */
interface Attempts {
  readonly startedAt: number
  /** Nodes tried; allocated only on failover, as most requests never need one. */
  exclude: Set<string> | null
  /** Nodes that answered this request with a 500: the runtime's fault only if another node serves it. */
  suspects: string[] | null
}

/** How an attempt ended without throwing: a response to send on, or another node to try. */
type AttemptOutcome =
  | { readonly kind: 'response'; readonly response: ForwardedResponse }
  | { readonly kind: 'retry'; readonly next: SelectedNode }

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
    const attempts: Attempts = { startedAt: performance.now(), exclude: null, suspects: null }
    let selection = this.#firstSelection(request)
    for (let retries = 0; ; retries++) {
      const slot = await this.#slotFor(request, selection, attempts.exclude)
      const outcome = await this.#attempt(request, slot, retries, attempts)
      if (outcome.kind === 'response') return outcome.response
      selection = outcome.next
    }
  }

  /** The balancer's first choice, or the coded error when no node can take the request. */
  #firstSelection(request: InferenceRequest): SelectedNode {
    let selection = this.#select(request, NOTHING_TRIED)
    // Capacity that appeared without a freed slot goes to the requests already waiting, before this one.
    const { waitQueue } = this.#options
    if (waitQueue !== undefined && waitQueue.size > 0 && this.wakeWaiters()) {
      selection = this.#select(request, NOTHING_TRIED)
    }
    if (selection.kind === 'none') {
      const error = this.#noCandidate(selection.cause, request.model, request.apiKind)
      throw this.#rejected(request, selection.cause, error)
    }
    return selection
  }

  /** The node to try and a slot on it: the selection's own, or the one a wait in the queue was granted. */
  async #slotFor(
    request: InferenceRequest,
    selection: SelectedNode,
    exclude: ReadonlySet<string> | null,
  ): Promise<QueueGrant> {
    const { waitQueue, registry } = this.#options
    if (waitQueue !== undefined && mustWait(selection)) {
      return this.#waitForSlot(request, waitQueue, exclude ?? NOTHING_TRIED)
    }
    return { selection, lease: registry.acquire(selection.node.id) }
  }

  /**
   * Sends the request to the slot's node and judges the response head. The lease goes to the response
   * body once it exists; until then this attempt owns it and releases it on every other path.
   */
  async #attempt(
    request: InferenceRequest,
    { selection, lease }: QueueGrant,
    retries: number,
    attempts: Attempts,
  ): Promise<AttemptOutcome> {
    const { node, reason } = selection
    const attempt: Attempt = {
      request,
      node,
      reason,
      reasonText: formatReason(reason),
      retries,
      startedAt: attempts.startedAt,
      sentAt: performance.now(),
    }
    this.#observer.onAttempt(node, reason, retries, request)
    let isLeaseHandedOff = false
    try {
      let response: Dispatcher.ResponseData
      let verdict: UpstreamVerdict
      try {
        response = await this.#send(request, node)
        verdict = await judgeHead(response, request.model, node)
      } catch (error) {
        return this.#afterSendFailure(attempt, error, attempts)
      }
      const outcome = this.#afterHead(attempt, response, verdict, lease, attempts)
      isLeaseHandedOff = outcome.kind === 'response'
      return outcome
    } finally {
      if (!isLeaseHandedOff) {
        lease.release()
        this.wakeWaiters()
      }
    }
  }

  /**
   * A response head came: another node when this one could not answer and one is left, the coded
   * error for a status that is not HTTP, or the response to send on, whose body takes the lease.
   */
  #afterHead(
    attempt: Attempt,
    response: Dispatcher.ResponseData,
    verdict: UpstreamVerdict,
    lease: Lease,
    attempts: Attempts,
  ): AttemptOutcome {
    const { request, node, retries } = attempt
    const ttfbMs = performance.now() - attempts.startedAt
    this.#countHead(verdict, node, request)
    if (verdict.kind === 'server-error') {
      attempts.suspects ??= []
      attempts.suspects.push(node.id)
    }
    if (verdict.kind !== 'answer' && retries < this.#options.maxRetries) {
      const next = this.#failOver(request, node, attempts)
      if (next !== null) {
        request.log.warn(
          { nodeId: node.id, node: node.name, status: response.statusCode, verdict: verdict.kind },
          'upstream could not answer: failing over',
        )
        discard(verdict.body, request.log)
        return { kind: 'retry', next }
      }
    }
    if (verdict.kind === 'invalid-status' || verdict.kind === 'model-refused') {
      discard(verdict.body, request.log)
      const error =
        verdict.kind === 'invalid-status'
          ? new UpstreamInvalidResponseError(
              `node ${node.name} answered with the invalid HTTP status ${response.statusCode}`,
            )
          : credentialsRefused(node, response.statusCode, verdict.said ?? '')
      logProxied(this.#observer, attempt, error.statusCode, ttfbMs, undefined, error.cause)
      throw error
    }
    const contentType = response.headers['content-type']
    const isStreamed = typeof contentType === 'string' && STREAMING_CONTENT_TYPE.test(contentType)
    let headers: HeaderRecord
    let body: Readable
    try {
      headers = filterResponseHeaders(
        response.headers,
        () => this.#options.registry.get(node.id)?.registration.runtime.url,
      )
      body = this.#watchBody(verdict, response, attempt, lease, attempts.suspects, ttfbMs, isStreamed)
    } catch (error) {
      // Nothing will read the body: free its connection (the attempt releases the lease).
      discard(verdict.body, request.log)
      throw error
    }
    return {
      kind: 'response',
      response: {
        statusCode: response.statusCode,
        headers,
        body,
        node,
        reason: attempt.reason,
        reasonText: attempt.reasonText,
        isStreamed,
      },
    }
  }

  /** No response came: the client left, another node gets the request, or the coded error is thrown. */
  #afterSendFailure(attempt: Attempt, error: unknown, attempts: Attempts): AttemptOutcome {
    const { request, node, retries } = attempt
    if (request.signal.aborted) {
      logProxied(this.#observer, attempt, STATUS_CLIENT_CLOSED, null)
      throw new ClientClosedRequestError({ cause: error })
    }
    const failure = describeFailure(error, node)
    this.#reportFailure(node, request.log)
    const next =
      failure.isRetryable && retries < this.#options.maxRetries
        ? this.#failOver(request, node, attempts)
        : null
    if (next !== null) {
      request.log.warn({ nodeId: node.id, node: node.name, err: error }, 'upstream failed: failing over')
      return { kind: 'retry', next }
    }
    logProxied(this.#observer, attempt, failure.error.statusCode, null, undefined, error)
    throw failure.error
  }

  /** Rules the node out for this request and asks the balancer again; null when no node is left. */
  #failOver(request: InferenceRequest, node: NodeView, attempts: Attempts): SelectedNode | null {
    attempts.exclude ??= new Set()
    attempts.exclude.add(node.id)
    const next = this.#select(request, attempts.exclude)
    return next.kind === 'selected' ? next : null
  }

  #send(request: InferenceRequest, node: NodeView): Promise<Dispatcher.ResponseData> {
    const { registry, pools } = this.#options
    const target = pools.target(node.id, () => registry.get(node.id)?.registration.runtime.url)
    if (target === undefined) throw new UpstreamUnreachableError(`node ${node.name} is gone`)
    return target.pool.request({
      method: request.method,
      path: target.basePath + request.url,
      headers: buildUpstreamRequestHeaders(request.headers, {
        requestId: request.requestId,
        authorization: registry.upstreamAuthorization?.(node.id),
        via: this.#options.via,
        contentType: request.contentType,
      }),
      body: request.body,
      signal: request.signal,
    })
  }

  /** What a response head says about the node, before any byte goes to the client. */
  #countHead(verdict: UpstreamVerdict, node: NodeView, request: InferenceRequest): void {
    // Overload, a failed gateway or a status that is not HTTP: the node, not the request.
    if (verdict.kind === 'unavailable' || verdict.kind === 'invalid-status')
      this.#reportFailure(node, request.log)
    else if (verdict.kind === 'model-missing') this.#options.registry.markModelMissing(node.id, request.model)
    else if (verdict.kind === 'model-refused')
      this.#options.registry.markModelMissing(node.id, request.model, 'refused')
  }

  /**
   * The body to send on: it releases the lease, settles the node's health and logs the request when it
   * closes. Streams are scanned for errors written inside them.
   */
  #watchBody(
    verdict: UpstreamVerdict,
    response: Dispatcher.ResponseData,
    attempt: Attempt,
    lease: Lease,
    suspects: readonly string[] | null,
    ttfbMs: number,
    isStreamed: boolean,
  ): Readable {
    const { request, node } = attempt
    const body = verdict.body
    const scanner = isStreamed ? scanErrors(body) : null
    // Tapped before the lease goes back: releasing the last lease of a draining node removes it, and
    // the observer must not then write learned figures into a slot that a new node may take.
    const tap = this.#observer.onResponse?.({
      node,
      request,
      statusCode: response.statusCode,
      sentAt: attempt.sentAt,
      headersAt: attempt.startedAt + ttfbMs,
    })
    if (tap !== undefined) tapBody(body, tap)
    body.once('close', () => {
      lease.release()
      this.wakeWaiters()
      const streamError = scanner?.streamError ?? null
      if (streamError !== null) {
        request.log.warn(
          { nodeId: node.id, node: node.name, upstreamError: streamError.message },
          'error inside the stream',
        )
        // A 4xx-coded error is the request's own fault (vLLM's BadRequestError); anything else the runtime's.
        if (streamError.status >= 500) this.#reportModelFailure(node, request)
      } else if (verdict.kind === 'answer' && response.statusCode < 500) {
        if (body.readableEnded) {
          this.#options.registry.reportUpstreamSuccess(node.id, request.model)
          // Another node served what these failed: they are unwell, not the request.
          for (const suspect of suspects ?? [])
            this.#reportModelFailure({ id: suspect, name: suspect }, request)
        }
        // The runtime broke off or went silent mid-stream: a failure like a refused connection.
        else if (isUpstreamBodyFailure(body.errored)) this.#reportFailure(node, request.log)
      }
      logProxied(this.#observer, attempt, streamError?.status ?? response.statusCode, ttfbMs, body)
    })
    return body
  }

  /** Waits in the queue for a slot; throws the coded 503 (or the client's abort) when none comes. */
  async #waitForSlot(request: InferenceRequest, queue: ForwardWaitQueue, exclude: ReadonlySet<string>) {
    request.log.info({ model: request.model, route: request.route, ahead: queue.size }, 'request queued')
    const result = await queue.wait({ request, exclude }, request.signal)
    if (result.kind === 'granted') return result.grant
    const fields = { model: request.model, route: request.route, outcome: result.reason, waiting: queue.size }
    if (result.reason !== 'aborted') request.log.info(fields, 'queued request got no slot')
    switch (result.reason) {
      case 'aborted': {
        const error = new ClientClosedRequestError()
        // The request's one line: the error handler skips this code, which elsewhere has its `proxied` 499.
        request.log.info(
          { ...fields, code: error.code, statusCode: error.statusCode },
          'queued request got no slot',
        )
        throw this.#rejected(request, 'client-closed', error)
      }
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
   * and API see the same nodes, so one that cannot proceed rules out the rest of its kind (a failover,
   * which excludes nodes, only itself). Returns whether any waiter got a slot. Called whenever capacity
   * may have appeared: a lease released, and (through the registry) a node registered or pushed, a
   * cool-down ended.
   */
  wakeWaiters(): boolean {
    const queue = this.#options.waitQueue
    if (queue === undefined || queue.size === 0) return false
    const stillBusy = new Set<string>()
    const grantFor = ({ request: waiting, exclude }: WaitingRequest): QueueGrant | undefined => {
      const key = waitingKey(waiting)
      if (exclude.size === 0 && stillBusy.has(key)) return undefined
      const selection = this.#select(waiting, exclude, true)
      if (selection.kind === 'selected' && !mustWait(selection)) {
        return { selection, lease: this.#options.registry.acquire(selection.node.id) }
      }
      if (exclude.size === 0) stillBusy.add(key)
      return undefined
    }
    let hasGranted = false
    while (queue.wakeFirst(grantFor)) hasGranted = true
    return hasGranted
  }

  /** The balancer's choice for the request; `isHeld` when it is one of the queue's own waiters. */
  #select(request: InferenceRequest, exclude: ReadonlySet<string>, isHeld = false): Selection {
    const cooling = this.#options.registry.coolingForModel(request.model)
    const queue = this.#options.waitQueue
    // The others of its kind: a queue built without `keyOf` counts none.
    const held =
      queue === undefined || queue.size === 0
        ? 0
        : Math.max(0, queue.waitingWith(waitingKey(request)) - (isHeld ? 1 : 0))
    const selection = select(
      this.#options.registry.snapshot(),
      {
        model: request.model,
        ollamaModelKey: request.ollamaModelKey,
        apiKind: request.apiKind,
        now: this.#options.now(),
        exclude: cooling === null ? exclude : new Set([...exclude, ...cooling]),
        probe: request.probe,
        heldForModel: held,
      },
      this.#options.balancerState,
    )
    // Nodes cooling for this model were left out like tried ones: the answer is a cool-down, not "no node".
    if (selection.kind === 'none' && cooling !== null) return { kind: 'none', cause: 'all-cooling-down' }
    return selection
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
      request,
      route: request.route,
      model: request.model,
      apiKind: request.apiKind,
      cause,
      status: error.statusCode,
    })
    return error
  }

  #reportModelFailure(node: Pick<NodeView, 'id' | 'name'>, request: InferenceRequest): void {
    if (this.#options.registry.reportModelFailure(node.id, request.model)) {
      request.log.warn(
        { nodeId: node.id, model: request.model, coolDownMs: this.#options.coolDownMs },
        'node cooling down for a model after repeated upstream failures',
      )
    }
  }

  #reportFailure(node: NodeView, log: ForwardLog): void {
    if (this.#options.registry.reportUpstreamFailure(node.id)) {
      log.warn(
        { nodeId: node.id, node: node.name, coolDownMs: this.#options.coolDownMs },
        'node cooling down after repeated upstream failures',
      )
    }
  }
}
