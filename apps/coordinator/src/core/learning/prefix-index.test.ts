import { describe, expect, it } from 'vitest'
import { PrefixHits, PrefixIndex, prefixBlockHashes } from './prefix-index.js'

const NOW = 1_800_000_000_000

/** `bytes` of text starting with `seed`, so bodies with the same seed share their first bytes. */
function text(bytes: number, seed: string): Buffer {
  return Buffer.from(seed.padEnd(bytes, '.'))
}

function lookup(index: PrefixIndex, body: Buffer, now = NOW): Array<[number, number]> {
  const hits = new PrefixHits()
  index.lookup(prefixBlockHashes(body), now, hits)
  return Array.from({ length: hits.count }, (_, i) => [hits.slots[i] as number, hits.blocks[i] as number])
}

describe('prefixBlockHashes', () => {
  it('hashes full 256-byte blocks only, equal prefixes alike, from any byte offset', () => {
    const body = text(1_000, 'conversation')
    const hashes = prefixBlockHashes(body)
    expect(hashes).toHaveLength(3)
    // The same bytes at an odd offset inside a larger buffer (fastify's pooled bodies) hash the same.
    const shifted = Buffer.concat([Buffer.from('x'), body]).subarray(1)
    expect(prefixBlockHashes(shifted)).toEqual(hashes)
    // A change in block 1 changes blocks 1 and 2 (the chain), not block 0.
    const changed = Buffer.from(body)
    changed[300] = 0x41
    const other = prefixBlockHashes(changed)
    expect(other[0]).toBe(hashes[0])
    expect(other[1]).not.toBe(hashes[1])
    expect(other[2]).not.toBe(hashes[2])
    for (const hash of hashes) expect(hash).toBe(hash & 0x3fffffff)
  })
})

describe('PrefixIndex', () => {
  it('finds the previous turn of a conversation at its last full block', () => {
    const index = new PrefixIndex({ maxEntries: 1_000, ttlMs: 60_000 })
    const turn1 = text(2_600, 'chat-1') // 10 full blocks
    index.record(prefixBlockHashes(turn1), 7, NOW)
    const turn2 = Buffer.concat([turn1, text(1_000, 'reply')])
    expect(lookup(index, turn2)).toEqual([[7, 10]])
    expect(lookup(index, text(3_000, 'chat-2'))).toEqual([])
  })

  it('credits a shared system prompt through the power-of-two checkpoints', () => {
    const index = new PrefixIndex({ maxEntries: 1_000, ttlMs: 60_000 })
    const system = text(4_096, 'system prompt') // blocks 0…15
    index.record(prefixBlockHashes(Buffer.concat([system, text(2_000, 'user A')])), 1, NOW)
    // Another conversation with the same system prompt matches 16 blocks (checkpoint 2^4 − 1 = 15).
    expect(lookup(index, Buffer.concat([system, text(2_000, 'user B')]))).toEqual([[1, 16]])
  })

  it('ignores entries older than the TTL and those of a node that left', () => {
    const index = new PrefixIndex({ maxEntries: 1_000, ttlMs: 60_000 })
    const body = text(1_024, 'chat')
    index.record(prefixBlockHashes(body), 3, NOW)
    index.record(prefixBlockHashes(body), 4, NOW)
    expect(lookup(index, body, NOW + 60_001)).toEqual([])
    index.forgetSlot(3)
    expect(lookup(index, body)).toEqual([[4, 4]])
    // A new node on slot 3 computes it again: counted from then on.
    index.record(prefixBlockHashes(body), 3, NOW + 1)
    expect(lookup(index, body, NOW + 2).sort()).toEqual([
      [3, 4],
      [4, 4],
    ])
  })

  it('never holds more than maxEntries, dropping the oldest first', () => {
    const index = new PrefixIndex({ maxEntries: 50, ttlMs: 60_000 })
    for (let session = 0; session < 200; session++) {
      index.record(prefixBlockHashes(text(2_048, `session ${session}`)), session % 10, NOW + session)
      expect(index.size).toBeLessThanOrEqual(50)
    }
    expect(lookup(index, text(2_048, 'session 199'))).toEqual([[9, 8]])
    expect(lookup(index, text(2_048, 'session 0'))).toEqual([])
  })
})
