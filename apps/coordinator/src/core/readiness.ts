/**
 * PURE: whether the coordinator should take traffic (`/readyz`). A coordinator that just started knows
 * only the agents that reached it so far; a health-checking front would put it in rotation with part
 * of the fleet, and send requests to slow nodes while the fast ones are still on their way. So after a
 * start it waits until it knows the fleet, and on shutdown it turns unready before it stops serving.
 */

/** Why `/readyz` says what it says (also its `reason` field). */
export type ReadinessReason =
  /** Settled earlier and a node is online. */
  | 'ready'
  /** Every node the peers list is online here. */
  | 'fleet-known'
  /** No peers to compare with: no new registration for the settle time. */
  | 'registry-settled'
  /** `READY_TIMEOUT_MS` passed: serving with the nodes it has. */
  | 'ready-timeout'
  | 'waiting-for-fleet'
  | 'no-node-online'
  | 'shutting-down'

export interface ReadinessInput {
  readonly now: number
  readonly startedAtMs: number
  /** When a node last registered for the first time (or the start, before any). */
  readonly lastNewRegistrationMs: number
  /** Quiet time after which a registry counts as settled: two push intervals. */
  readonly settleMs: number
  /** `READY_TIMEOUT_MS` */
  readonly timeoutMs: number
  readonly onlineCount: number
  /**
   * Nodes that peer coordinators have online but this one does not, or null when there are no peers
   * to ask (no shared store, the store is unreachable, or no other coordinator is alive).
   */
  readonly missingFromPeers: number | null
  /** Once the fleet was known, later restarts of the count do not bring the wait back. */
  readonly hasSettled: boolean
  readonly isShuttingDown: boolean
}

export interface Readiness {
  readonly isReady: boolean
  readonly reason: ReadinessReason
  /** True when the start-up wait is over (the caller keeps it as `hasSettled`). */
  readonly hasSettled: boolean
}

export function readinessAt(input: ReadinessInput): Readiness {
  if (input.isShuttingDown) return { isReady: false, reason: 'shutting-down', hasSettled: input.hasSettled }
  const settled = input.hasSettled ? null : settleReason(input)
  const hasSettled = input.hasSettled || settled !== null
  if (input.onlineCount === 0) return { isReady: false, reason: 'no-node-online', hasSettled }
  if (!hasSettled) return { isReady: false, reason: 'waiting-for-fleet', hasSettled }
  return { isReady: true, reason: settled ?? 'ready', hasSettled }
}

/** Why the start-up wait is over now, or null while it goes on. */
function settleReason(input: ReadinessInput): ReadinessReason | null {
  if (input.now - input.startedAtMs >= input.timeoutMs) return 'ready-timeout'
  if (input.onlineCount === 0) return null
  if (input.missingFromPeers !== null) return input.missingFromPeers === 0 ? 'fleet-known' : null
  return input.now - input.lastNewRegistrationMs >= input.settleMs ? 'registry-settled' : null
}
