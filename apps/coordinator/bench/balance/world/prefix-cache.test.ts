import { PrefixCache } from '@llm-fleet/mock-runtime'
import { describe, expect, it } from 'vitest'

describe('PrefixCache', () => {
  it('matches only the leading run of cached blocks', () => {
    const cache = new PrefixCache<number>(1_000, () => 10)
    cache.insert('m', [1, 2, 3])
    expect(cache.match('m', [1, 2, 9, 3])).toBe(2)
    expect(cache.match('m', [2, 3])).toBe(2)
    expect(cache.match('other', [1, 2, 3])).toBe(0)
  })

  it('evicts the least recently used block across models when over budget', () => {
    const cache = new PrefixCache<number>(30, () => 10)
    cache.insert('a', [1])
    cache.insert('b', [2])
    cache.insert('a', [3])
    cache.match('a', [1])
    cache.insert('b', [4])
    // Block 2 (model b) was the least recently used.
    expect(cache.match('b', [2])).toBe(0)
    expect(cache.match('a', [1])).toBe(1)
    expect(cache.bytes).toBe(30)
  })

  it('forgets a model unloaded, and shrinks with the VRAM left', () => {
    const cache = new PrefixCache<number>(100, () => 10)
    cache.insert('a', [1, 2, 3])
    cache.insert('b', [4])
    cache.dropModel('a')
    expect(cache.bytes).toBe(10)
    cache.insert('b', [5, 6])
    cache.resize(20)
    expect(cache.match('b', [4])).toBe(0)
    expect(cache.bytes).toBe(20)
  })
})
