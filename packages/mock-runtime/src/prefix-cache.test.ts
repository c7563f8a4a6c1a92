import { describe, expect, it } from 'vitest'
import { CHARS_PER_TOKEN, PREFIX_BLOCK_TOKENS, PrefixCache, promptBlockIds } from './prefix-cache.js'

const BLOCK = 'x'.repeat(PREFIX_BLOCK_TOKENS * CHARS_PER_TOKEN)

describe('promptBlockIds', () => {
  it('names only full blocks, and a block by everything before it and the model', () => {
    expect(promptBlockIds('m', BLOCK.slice(1))).toHaveLength(0)
    const two = promptBlockIds('m', `${BLOCK}${BLOCK}tail`)
    expect(two).toHaveLength(2)
    // Same content, different position: a different id (the chain, as vLLM hashes parent + tokens).
    expect(two[0]).not.toBe(two[1])
    expect(promptBlockIds('m', `${BLOCK}${BLOCK}`)).toEqual(two)
    expect(promptBlockIds('other', `${BLOCK}${BLOCK}`)[0]).not.toBe(two[0])
    // A different first block changes every later id.
    expect(promptBlockIds('m', `y${BLOCK.slice(1)}${BLOCK}`)[1]).not.toBe(two[1])
  })
})

describe('PrefixCache', () => {
  const ids = (...names: string[]) => names
  it('hits the longest run of leading blocks of the same model', () => {
    const cache = new PrefixCache(10, () => 1)
    cache.insert('m', ids('a', 'b', 'c'))
    expect(cache.match('m', ids('a', 'b', 'x'))).toBe(2)
    // A miss on the first block is a miss (chain ids make a later block's id unique to its prefix).
    expect(cache.match('m', ids('x', 'b'))).toBe(0)
    expect(cache.match('n', ids('a'))).toBe(0)
    expect(cache.bytes).toBe(3)
  })

  it('evicts least recently used blocks to stay within its budget, and when shrunk', () => {
    const cache = new PrefixCache(3, () => 1)
    cache.insert('m', ids('a', 'b', 'c'))
    cache.match('m', ids('a'))
    cache.insert('m', ids('d'))
    // b was the least recently used: a was touched by the match.
    expect(cache.match('m', ids('a'))).toBe(1)
    expect(cache.match('m', ids('b'))).toBe(0)
    cache.resize(1)
    expect(cache.bytes).toBe(1)
  })

  it('drops the blocks of models that are no longer loaded', () => {
    const cache = new PrefixCache(100, (model) => (model === 'big' ? 10 : 1))
    cache.insert('big', ids('a', 'b'))
    cache.insert('small', ids('c'))
    cache.retainModels(new Set(['small']))
    expect(cache.bytes).toBe(1)
    expect(cache.match('big', ids('a'))).toBe(0)
    expect(cache.match('small', ids('c'))).toBe(1)
  })
})
