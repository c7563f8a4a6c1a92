import { describe, expect, it } from 'vitest'
import { ModelResidency } from './model-residency.js'

const GB = 1e9

function residency(overrides: Partial<ConstructorParameters<typeof ModelResidency>[0]> = {}) {
  let now = 0
  const clock = { advance: (ms: number) => (now += ms) }
  const state = new ModelResidency({
    vramBytes: 16 * GB,
    maxLoaded: 3,
    loadBytesPerS: 2 * GB,
    keepAliveMs: 300_000,
    now: () => now,
    ...overrides,
  })
  return { state, clock }
}

describe('ModelResidency', () => {
  it('loads a cold model in size ÷ bandwidth, then serves it warm', () => {
    const { state, clock } = residency()
    expect(state.acquire('llama3.1:8b', 4.9 * GB)).toEqual({ kind: 'ready', waitMs: 2450, cold: true })
    clock.advance(1000)
    // A second request during the load waits for the rest of it.
    expect(state.acquire('llama3.1:8b', 4.9 * GB)).toEqual({ kind: 'ready', waitMs: 1450, cold: false })
    expect(state.loaded().map((model) => model.name)).toEqual(['llama3.1:8b'])
  })

  it('unloads the first idle runner in name order when VRAM is short (not the least recently used)', () => {
    const { state, clock } = residency({ vramBytes: 15 * GB })
    state.acquire('llama3.2:3b', 2 * GB)
    state.release('llama3.2:3b')
    clock.advance(10)
    state.acquire('llama3.1:8b', 4.9 * GB)
    state.release('llama3.1:8b')
    expect(state.acquire('qwen2.5:14b', 9 * GB).kind).toBe('ready')
    expect(state.loaded().map((model) => model.name)).toEqual(['llama3.2:3b', 'qwen2.5:14b'])
  })

  it('blocks while every runner is busy, and honours OLLAMA_MAX_LOADED_MODELS', () => {
    const { state } = residency({ maxLoaded: 1 })
    state.acquire('a', GB)
    expect(state.acquire('b', GB)).toEqual({ kind: 'blocked' })
    state.release('a')
    expect(state.acquire('b', GB).kind).toBe('ready')
    expect(state.loaded().map((model) => model.name)).toEqual(['b'])
  })

  it('unloads an idle model after the keep-alive', () => {
    const { state, clock } = residency()
    state.acquire('a', GB)
    state.release('a')
    expect(state.loaded()[0]?.expiresInMs).toBe(300_000)
    clock.advance(300_001)
    expect(state.loaded()).toEqual([])
  })
})
