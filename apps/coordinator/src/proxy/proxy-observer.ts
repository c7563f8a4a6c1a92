/**
 * ProxyObserver: what the forwarder tells metrics and the dashboard about each proxied request. The
 * proxy knows only this interface; `app.ts` passes in the implementations (`FleetMetrics`,
 * `RequestHistory`) so that the data plane never imports observability code.
 */
import type { NoCandidateCause, SelectionReason } from '../core/balancer/selection.js'
import type { ApiKind } from '../core/balancer/strategy.js'
import type { NodeView } from '../core/node-view.js'

/** One proxied request when it ends: the fields of its `proxied` log line, as data. */
export interface ProxiedRecord {
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

/** A request no node could take: it never reached a runtime. */
export interface RejectedRecord {
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
  onAttempt(node: NodeView, reason: SelectionReason, attempt: number): void
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
    onAttempt(node, reason, attempt) {
      for (const observer of observers) observer.onAttempt(node, reason, attempt)
    },
    onProxied(record) {
      for (const observer of observers) observer.onProxied(record)
    },
    onRejected(record) {
      for (const observer of observers) observer.onRejected(record)
    },
  }
}
