import { describe, expect, it } from 'vitest'
import { BACKOFF_CAP_MS, backoffDelayMs } from './backoff.js'

describe('backoffDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
    [6, 30_000],
    [50, 30_000],
    [5000, 30_000],
  ])('after %i failures waits at most %i ms', (failures, ceilingMs) => {
    expect(backoffDelayMs(failures, { random: () => 0.999_999 })).toBe(Math.floor(0.999_999 * ceilingMs))
    expect(backoffDelayMs(failures, { random: () => 0 })).toBe(0)
  })

  it('spreads waits uniformly over [0, ceiling] (full jitter)', () => {
    expect(backoffDelayMs(4, { random: () => 0.25 })).toBe(2000)
    expect(backoffDelayMs(4, { random: () => 0.75 })).toBe(6000)
  })

  it('never exceeds the 30 s cap', () => {
    for (let failures = 1; failures < 100; failures++) {
      expect(backoffDelayMs(failures, { random: () => 0.999_999 })).toBeLessThanOrEqual(BACKOFF_CAP_MS)
    }
  })
})
