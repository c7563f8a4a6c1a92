/**
 * Which stale nodes the registry lets go: the one stale longest when a new node needs its place, and
 * any stale for so long that its host has surely gone. A node with requests in flight always stays.
 */
import { nodeStateAt } from '../core/node-state.js'
import type { NodeRecord } from './node-record.js'

/**
 * A node stale for this many TTLs with nothing in flight is forgotten (10 minutes at the default 6 s
 * TTL): long enough for a host to reboot and come back under its id, short enough that churn leaves
 * nothing behind.
 */
export const STALE_NODE_FORGET_TTLS = 100

/**
 * The node that has been stale longest with nothing in flight (a host that vanished should not hold a
 * place forever); undefined when there is none.
 */
export function longestStaleIdle(
  records: Iterable<NodeRecord>,
  now: number,
  ttlMs: number,
): NodeRecord | undefined {
  let oldest: NodeRecord | undefined
  for (const record of records) {
    if (record.inFlight > 0) continue
    if (nodeStateAt({ now, lastSeenMs: record.lastSeenMs, ttlMs, isDraining: false }) !== 'stale') continue
    if (oldest === undefined || record.lastSeenMs < oldest.lastSeenMs) oldest = record
  }
  return oldest
}

/** Whether the node has been stale for longer than `forgetAfterMs` with nothing in flight. */
export function isStaleTooLong(
  record: NodeRecord,
  now: number,
  ttlMs: number,
  forgetAfterMs: number,
): boolean {
  return record.inFlight === 0 && now - record.lastSeenMs > ttlMs + forgetAfterMs
}
