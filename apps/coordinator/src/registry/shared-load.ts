/**
 * What the registry needs to share load with other coordinators (`SHARED_STATE_URL`). Every method is
 * synchronous: the registry's hot path (acquire, release, snapshot) never waits on the store. Changes
 * are handed over here and published later; reads come from a local view kept current by subscription.
 */

/** One node's load as this coordinator holds it. */
export interface LoadEntry {
  /** `hostname \n runtime URL`: the same on every coordinator, unlike agent ids. */
  readonly key: string
  readonly inFlight: number
  readonly coolingDownUntilMs: number | null
  /** Prompt tokens this coordinator sent to the node that it has not started answering (no first byte). */
  readonly awaitingTokens: number
}

export interface SharedLoad {
  /** Requests other live coordinators have in flight on the node (`hostname \n runtime URL`). */
  othersInFlight(nodeKey: string): number
  /** Prompt tokens other live coordinators sent to the node that it has not started answering. */
  othersAwaitingTokens(nodeKey: string): number
  /** The latest cool-down end another coordinator set on the node (this clock), or null. */
  othersCoolingDownUntilMs(nodeKey: string): number | null
  /**
   * How many coordinators split each node's `maxConcurrency` now: 1 while the store is reachable (the
   * counts are shared), N (the coordinators last seen) while it is not, so that together they still
   * stay within it.
   */
  readonly capacityDivisor: number
  /**
   * True while a slot this coordinator took on the node may not be visible to the others yet: the node
   * then counts as full here, so each coordinator overfills a node by at most one request.
   */
  hasUnconfirmed(nodeKey: string): boolean
  /** This coordinator's own load on a node changed (published asynchronously). */
  publishLocal(load: LoadEntry): void
  /** Called with the nodes whose shared values changed (`'all'` after a reconnect or a divisor change). */
  onRemoteChange(listener: (nodeKeys: Iterable<string> | 'all') => void): () => void
}
