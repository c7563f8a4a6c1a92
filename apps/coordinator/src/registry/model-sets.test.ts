import { describe, expect, it } from 'vitest'
import { ModelSets } from './model-sets.js'

describe('ModelSets', () => {
  it('hands out one Set per distinct list, whatever the order or duplicates', () => {
    const sets = new ModelSets()
    const first = sets.intern(['llama3.1:8b', 'qwen2.5:32b'])
    expect(sets.intern(['qwen2.5:32b', 'llama3.1:8b', 'qwen2.5:32b'])).toBe(first)
    expect([...first].sort()).toEqual(['llama3.1:8b', 'qwen2.5:32b'])
  })

  it('keeps different lists apart, the empty list included', () => {
    const sets = new ModelSets()
    const lists = [[], [''], ['a'], ['a', 'b'], ['b']]
    const interned = lists.map((list) => sets.intern(list))
    expect(new Set(interned).size).toBe(lists.length)
    interned.forEach((set, i) => {
      expect([...set].sort()).toEqual([...new Set(lists[i])].sort())
    })
  })
})
