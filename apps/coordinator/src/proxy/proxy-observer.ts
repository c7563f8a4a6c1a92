/**
 * ProxyObserver: what the forwarder tells metrics and the dashboard about each proxied request. The
 * proxy knows only this interface; `app.ts` passes in the implementations (`FleetMetrics`,
 * `RequestHistory`) so that the data plane never imports observability code.
 */
import type { Readable } from 'node:stream'
import type { NoCandidateCause, SelectionReason } from '../core/balancer/selection.js'
import type { ApiKind, RequestProbe } from '../core/balancer/strategy.js'
import type { NodeView } from '../core/node-view.js'
import { listenToChunks } from './chunk-listener.js'

/** The request an attempt sends (the parts observers may learn from). */
export interface AttemptRequest {
  readonly model: string
  readonly apiKind: ApiKind
  readonly route: string
  readonly probe?: RequestProbe | undefined
  /**
   * Whether the client asked for a streamed answer. A non-streamed answer's first byte is its end, so
   * it cannot tell when the runtime started on the prompt. Absent: streamed.
   */
  readonly isStreaming?: boolean | undefined
}

/** An upstream response whose body is about to stream to the client. */
export interface ObservedResponse {
  readonly node: NodeView
  readonly request: AttemptRequest
  readonly statusCode: number
  /**
   * `performance.now()` when this attempt was sent to the node, and when its headers came. A wait in
   * the coordinator's queue (`QUEUE_WHEN_BUSY`) or at a node that failed first is not the node's time.
   */
  readonly sentAt: number
  readonly headersAt: number
}

/**
 * Sees a response body's chunks as they pass (never buffered, never delayed): keep references, not
 * copies, and do the parsing at `end`.
 */
export interface ResponseTap {
  chunk(data: Buffer): void
  /** The body closed; `isComplete` when it ended normally. */
  end(isComplete: boolean): void
}

/** One proxied request when it ends: the fields of its `proxied` log line, as data. */
export interface ProxiedRecord {
  /** The request as its attempts were sent (the same object `onAttempt` saw). */
  readonly request: AttemptRequest
  /** The route pattern (`/v1/chat/completions`): a bounded set. */
  readonly route: string
  /** The model the client asked for: free text, bounded by the observers that label with it. */
  readonly model: string
  /** The node of the last attempt (the one that answered, or failed last). */
  readonly node: NodeView
  /** The balancer's reason in words (`formatReason`), as logged. */
  readonly reasonText: string
  /** The status the client saw, or 499 when it left before the end. */
  readonly status: number
  /** Time to the upstream's response headers; null when none came. */
  readonly ttfbMs: number | null
  readonly totalMs: number
  /** Failovers before the last attempt. */
  readonly retries: number
}

/** A request no node could take: it never reached a runtime (or only ones that failed before a byte). */
export interface RejectedRecord {
  /** The request (the same object `onAttempt` saw, when an attempt failed over into the queue). */
  readonly request: AttemptRequest
  readonly route: string
  readonly model: string
  readonly apiKind: ApiKind
  readonly cause: NoCandidateCause | 'queue-full' | 'queue-timeout' | 'shutting-down' | 'client-closed'
  /** 404, 503, or 499 for a client that left while its request waited. */
  readonly status: number
}

export interface ProxyObserver {
  /**
   * A node was chosen and the request is about to be sent to it. `attempt` 0 is the balancer's first
   * choice; later attempts are failovers after the previous node failed before any byte.
   */
  onAttempt(node: NodeView, reason: SelectionReason, attempt: number, request: AttemptRequest): void
  /** Optional: an upstream answered; a returned tap sees the body as it streams to the client. */
  onResponse?(response: ObservedResponse): ResponseTap | undefined
  /** The request ended (after the response body closed, or after the last failed attempt). */
  onProxied(record: ProxiedRecord): void
  /** No node could take the request. */
  onRejected(record: RejectedRecord): void
}

/** Observes nothing: the forwarder's default, so tests of the proxy alone need no observer. */
export const NO_PROXY_OBSERVER: ProxyObserver = {
  onAttempt: () => undefined,
  onProxied: () => undefined,
  onRejected: () => undefined,
}

/** One observer that forwards every call to each of `observers`, in order. */
export function combineProxyObservers(observers: readonly ProxyObserver[]): ProxyObserver {
  return {
    onAttempt(node, reason, attempt, request) {
      for (const observer of observers) observer.onAttempt(node, reason, attempt, request)
    },
    onResponse(response) {
      const taps: ResponseTap[] = []
      for (const observer of observers) {
        const tap = observer.onResponse?.(response)
        if (tap !== undefined) taps.push(tap)
      }
      if (taps.length <= 1) return taps[0]
      return {
        chunk: (data) => {
          for (const tap of taps) tap.chunk(data)
        },
        end: (isComplete) => {
          for (const tap of taps) tap.end(isComplete)
        },
      }
    },
    onProxied(record) {
      for (const observer of observers) observer.onProxied(record)
    },
    onRejected(record) {
      for (const observer of observers) observer.onRejected(record)
    },
  }
}

/** Lets `tap` see `body` without changing how it flows (see `listenToChunks`). */
export function tapBody(body: Readable, tap: ResponseTap): void {
  listenToChunks(body, (data) => tap.chunk(data))
  body.once('close', () => tap.end(body.readableEnded))
}
