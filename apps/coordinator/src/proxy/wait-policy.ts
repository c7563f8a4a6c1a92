/**
 * When a request waits in the coordinator's queue (`QUEUE_WHEN_BUSY`), and which waiters are alike:
 * the forwarder's rules, shared with the balancing benchmark's model of the queue.
 */

import type { Selection } from '../core/balancer/selection.js'
import type { ApiKind } from '../core/balancer/strategy.js'

/**
 * The wait queue's `keyOf`: waiters of one key see the same nodes (one model through one API), and
 * the balancer counts those held in every full node's queue (`SelectRequest.heldForModel`).
 */
export function waitingKey(request: { readonly apiKind: ApiKind; readonly model: string }): string {
  return `${request.apiKind}\n${request.model}`
}

/**
 * Whether the balancer's choice has no room: spec mode found every candidate busy, or fastest-finish
 * judged queueing on a full node better than any node with room. Round-robin and metrics modes ignore
 * load by design and never wait.
 */
export function mustWait(selection: Extract<Selection, { kind: 'selected' }>): boolean {
  const { reason } = selection
  return reason.kind === 'all-busy' || (reason.kind === 'fastest-finish' && reason.inFlight >= reason.max)
}
