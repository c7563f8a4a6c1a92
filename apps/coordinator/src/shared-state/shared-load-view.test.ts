import { describe, expect, it } from 'vitest'
import type { LoadEntry } from '../registry/shared-load.js'
import { type LoadMessage, type LoadTuple, parseLoadMessage } from './load-message.js'
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

const delta = (from: string, seq: number, nodes: LoadTuple[]): LoadMessage => ({
  from,
  seq,
  kind: 'delta',
  nodes,
})

const load = (key: string, inFlight: number, awaitingTokens = 0): LoadEntry => ({
  key,
  inFlight,
  coolingDownUntilMs: null,
  awaitingTokens,
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

  it('sums the peers’ prompt tokens not started per node; a peer of the version before sends none', () => {
    const { shared, changes } = view()
    shared.apply(delta('a', 1, [[H100, 2, 0, 3_000]]), 0)
    shared.apply(delta('old', 1, [[H100, 1, 0]]), 0)
    shared.apply(delta('b', 1, [[H100, 1, 0, 500]]), 0)
    expect(shared.othersAwaitingTokens(H100)).toBe(3_500)
    expect(shared.othersInFlight(H100)).toBe(4)
    // First bytes came back on a's requests: still in flight, nothing left to prefill.
    shared.apply(delta('a', 2, [[H100, 2, 0, 0]]), 10)
    expect(shared.othersAwaitingTokens(H100)).toBe(500)
    expect(changes.at(-1)).toEqual([H100])
    shared.expire(3_001)
    expect(shared.othersAwaitingTokens(H100)).toBe(0)
  })

  it('publishes its prompt tokens not started (none: the tuple of the version before), and reads them back', () => {
    const { shared } = view('me')
    shared.publishLocal(load(H100, 1, 1_200))
    shared.publishLocal(load(T4, 1, 0))
    const sent = shared.takeDelta(0)
    expect(sent?.nodes).toEqual([
      [H100, 1, 0, 1_200],
      [T4, 1, 0],
    ])
    expect(parseLoadMessage(JSON.stringify(sent))).toEqual(sent)
    expect(parseLoadMessage(JSON.stringify({ ...sent, nodes: [[H100, 1, 0, -5]] }))).toBeUndefined()
    expect(parseLoadMessage(JSON.stringify({ ...sent, nodes: [[H100, 1, 0, 1, 2]] }))).toBeUndefined()
  })

  it('publishes its own changes once per flush, coalesced, and a heartbeat carries what is still busy', () => {
    const { shared, dirtyCalls } = view('me')
    shared.publishLocal(load(H100, 1))
    shared.publishLocal(load(H100, 2))
    shared.publishLocal(load(T4, 1))
    shared.publishLocal(load(T4, 0))
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
    shared.publishLocal(load(H100, 1))
    // Alone: nobody to race with.
    expect(shared.hasUnconfirmed(H100)).toBe(false)
    shared.apply(delta('a', 1, [[T4, 1, 0]]), 0)
    expect(shared.hasUnconfirmed(H100)).toBe(true)
    const sent = shared.takeDelta(0)
    shared.publishLocal(load(H100, 0))
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
