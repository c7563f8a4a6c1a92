import { describe, expect, it } from 'vitest'
import { nodeStateAt, staleAtMs } from './node-state.js'

describe('nodeStateAt', () => {
  it.each([
    { now: 1_000, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false, expected: 'online' },
    { now: 7_000, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false, expected: 'online' },
    { now: 7_001, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false, expected: 'stale' },
    { now: 1_000, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: true, expected: 'draining' },
    { now: 99_000, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: true, expected: 'draining' },
  ] as const)('$now ms with last contact at $lastSeenMs (draining: $isDraining) is $expected', (row) => {
    const { expected, ...input } = row
    expect(nodeStateAt(input)).toBe(expected)
  })

  it('comes back online on the next contact', () => {
    expect(nodeStateAt({ now: 20_000, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false })).toBe('stale')
    expect(nodeStateAt({ now: 20_000, lastSeenMs: 20_000, ttlMs: 6_000, isDraining: false })).toBe('online')
  })

  it('staleAtMs is the first stale millisecond', () => {
    const at = staleAtMs(1_000, 6_000)
    expect(at).toBe(7_001)
    expect(nodeStateAt({ now: at - 1, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false })).toBe('online')
    expect(nodeStateAt({ now: at, lastSeenMs: 1_000, ttlMs: 6_000, isDraining: false })).toBe('stale')
  })
})
