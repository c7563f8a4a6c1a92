/**
 * The one line each routed request logs when it ends (`proxied`: the node, why it was chosen, the
 * status the client saw, timings, failovers), and the same record for the observers (metrics, the
 * dashboard, the learner).
 */
import type { Readable } from 'node:stream'
import type { SelectionReason } from '../core/balancer/selection.js'
import type { NodeView } from '../core/node-view.js'
import type { InferenceRequest } from './forward-request.js'
import type { ProxyObserver } from './proxy-observer.js'

/** nginx's "client closed request": logged when the client left before the response. */
export const STATUS_CLIENT_CLOSED = 499

/** One attempt at a node: what the forwarder knows when it logs the request. */
export interface Attempt {
  readonly request: InferenceRequest
  readonly node: NodeView
  readonly reason: SelectionReason
  /** `formatReason(reason)`, computed once for the header and the log line. */
  readonly reasonText: string
  /** Failovers before this attempt. */
  readonly retries: number
  /** `performance.now()` when the request reached the forwarder. */
  readonly startedAt: number
  /**
   * `performance.now()` when this attempt went to its node: after any wait in the coordinator's queue
   * and any earlier attempt at another node, which the node's own timings must not count.
   */
  readonly sentAt: number
}

/**
 * Logs the request's `proxied` line and tells the observer. `body`, when the response got one, says
 * whether it ended: one that closed early was cut off by the client (499) or by the runtime.
 * `failure`, when no response came, is why (the line's `err`).
 */
export function logProxied(
  observer: ProxyObserver,
  attempt: Attempt,
  status: number,
  ttfbMs: number | null,
  body?: Readable,
  failure?: unknown,
): void {
  const { request, node, reasonText, retries } = attempt
  const totalMs = performance.now() - attempt.startedAt
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
  if (failure !== undefined) fields.err = failure
  request.log.info(fields, 'proxied')
  observer.onProxied({
    request,
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

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100
}
