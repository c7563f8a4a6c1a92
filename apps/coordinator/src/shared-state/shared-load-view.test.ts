import { describe, expect, it } from 'vitest'
import type { LoadMessage } from './load-message.js'
import { SharedLoadView } from './shared-load-view.js'

const H100 = 'h100-host\nhttp://10.0.0.1:11434'
const T4 = 't4-host\nhttp://10.0.0.3:11434'

function view(selfId = 'me') {
  const changes: (string[] | 'all')[] = []
  let dirty = 0
  const shared = new SharedLoadView({ selfId, peerTtlMs: 3000, onDirty: () => dirty++ })
  shared.onRemoteChange((keys) => changes.push(keys === 'all' ? 'all' : [...keys]))
  return { shared, changes, dirtyCalls: () => dirty }
}

const delta = (from: string, seq: number, nodes: [string, number, number][]): LoadMessage => ({
  from,
  seq,
  kind: 'delta',
  nodes,
})

describe('SharedLoadView', () => {
  it('sums the peers’ in-flight counts per node and tells the registry which nodes changed', () => {
    const { shared, changes } = view()
    shared.apply(delta('a', 1, [[H100, 2, 0]]), 0)
    shared.apply(
      delta('b', 1, [
        [H100, 1, 0],
        [T4, 1, 0],
      ]),
      0,
    )
    expect(shared.othersInFlight(H100)).toBe(3)
    expect(shared.othersInFlight(T4)).toBe(1)
    shared.apply(delta('a', 2, [[H100, 0, 0]]), 10)
    expect(shared.othersInFlight(H100)).toBe(1)
    expect(changes.at(-1)).toEqual([H100])
    expect(shared.coordinatorCount).toBe(3)
  })

  it('ignores its own echo and messages older than one already applied', () => {
    const { shared } = view('me')
    shared.apply(delta('me', 1, [[H100, 5, 0]]), 0)
    expect(shared.othersInFlight(H100)).toBe(0)
    shared.apply(delta('a', 5, [[H100, 2, 0]]), 0)
    shared.apply({ from: 'a', seq: 3, kind: 'full', nodes: [[H100, 4, 0]], online: [] }, 0)
    expect(shared.othersInFlight(H100)).toBe(2)
  })

  it('replaces a peer’s nodes on a full state: a node it no longer lists is idle there', () => {
    const { shared } = view()
    shared.apply(
      delta('a', 1, [
        [H100, 2, 0],
        [T4, 1, 0],
      ]),
      0,
    )
    shared.apply({ from: 'a', seq: 2, kind: 'full', nodes: [[T4, 1, 0]], online: [H100, T4] }, 0)
    expect(shared.othersInFlight(H100)).toBe(0)
    expect(shared.othersInFlight(T4)).toBe(1)
  })

  it('turns a remaining cool-down into a deadline on its own clock', () => {
    const { shared } = view()
    shared.apply(delta('a', 1, [[H100, 0, 5000]]), 1_000_000)
    expect(shared.othersCoolingDownUntilMs(H100)).toBe(1_005_000)
    expect(shared.othersCoolingDownUntilMs(T4)).toBeNull()
  })

  it('drops a peer not heard from within the TTL, and one that says bye at once', () => {
    const { shared } = view()
    shared.apply(delta('crashed', 1, [[H100, 3, 0]]), 0)
    shared.apply(delta('leaving', 1, [[T4, 1, 0]]), 0)
    shared.expire(3000)
    expect(shared.othersInFlight(H100)).toBe(3)
    shared.apply({ from: 'leaving', seq: 2, kind: 'bye', nodes: [] }, 3000)
    expect(shared.othersInFlight(T4)).toBe(0)
    shared.expire(3001)
    expect(shared.othersInFlight(H100)).toBe(0)
    expect(shared.coordinatorCount).toBe(1)
  })

  it('publishes its own changes once per flush, coalesced, and a heartbeat carries what is still busy', () => {
    const { shared, dirtyCalls } = view('me')
    shared.publishLocal(H100, 1, null)
    shared.publishLocal(H100, 2, null)
    shared.publishLocal(T4, 1, null)
    shared.publishLocal(T4, 0, null)
    expect(dirtyCalls()).toBe(1)
    expect(shared.takeDelta(0)).toEqual({
      from: 'me',
      seq: 1,
      kind: 'delta',
      nodes: [
        [H100, 2, 0],
        [T4, 0, 0],
      ],
    })
    expect(shared.takeDelta(0)).toBeUndefined()
    expect(shared.fullState(0, [H100])).toEqual({
      from: 'me',
      seq: 2,
      kind: 'full',
      nodes: [[H100, 2, 0]],
      online: [H100],
    })
  })

  it('while the store is unreachable, splits capacity among the coordinators last seen and forgets their counts', () => {
    const { shared, changes } = view()
    shared.apply(delta('a', 1, [[H100, 2, 0]]), 0)
    expect(shared.capacityDivisor).toBe(1)
    expect(shared.storeLost()).toBe(2)
    expect(shared.capacityDivisor).toBe(2)
    expect(shared.othersInFlight(H100)).toBe(0)
    expect(changes.at(-1)).toBe('all')
    // Stale news while cut off is not applied.
    shared.apply(delta('a', 2, [[H100, 3, 0]]), 0)
    expect(shared.othersInFlight(H100)).toBe(0)
    shared.storeRegained()
    expect(shared.capacityDivisor).toBe(1)
  })

  it('holds a node as unconfirmed from taking a slot until its own message comes back (peers only)', () => {
    const { shared, changes } = view('me')
    shared.publishLocal(H100, 1, null)
    // Alone: nobody to race with.
    expect(shared.hasUnconfirmed(H100)).toBe(false)
    shared.apply(delta('a', 1, [[T4, 1, 0]]), 0)
    expect(shared.hasUnconfirmed(H100)).toBe(true)
    const sent = shared.takeDelta(0)
    shared.publishLocal(H100, 0, null)
    // A release is no new slot: still waiting for the message that carried the acquisition.
    expect(shared.hasUnconfirmed(H100)).toBe(true)
    shared.apply(sent as LoadMessage, 1)
    expect(shared.hasUnconfirmed(H100)).toBe(false)
    expect(changes.at(-1)).toEqual([H100])
  })

  it('counts the nodes peers have online that this coordinator lacks (null without peers)', () => {
    const { shared } = view()
    expect(shared.missingFromPeers(new Set())).toBeNull()
    shared.apply({ from: 'a', seq: 1, kind: 'full', nodes: [], online: [H100, T4] }, 0)
    expect(shared.missingFromPeers(new Set([T4]))).toBe(1)
    expect(shared.missingFromPeers(new Set([T4, H100]))).toBe(0)
  })
})
