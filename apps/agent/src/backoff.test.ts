import { describe, expect, it } from 'vitest'
import { BACKOFF_CAP_MS, backoffDelayMs } from './backoff.js'

describe('backoffDelayMs', () => {
  it('retries at the push cadence for the first three failures, whatever the jitter', () => {
    for (const failures of [1, 2, 3]) {
      expect(backoffDelayMs(failures, { random: () => 0, baseMs: 2000 })).toBe(2000)
      expect(backoffDelayMs(failures, { random: () => 0.999, baseMs: 2000 })).toBe(2000)
    }
  })

  it.each([
    [4, 4000],
    [5, 8000],
    [6, 16_000],
    [7, 30_000],
    [50, 30_000],
    [5000, 30_000],
  ])('after %i failures waits between the cadence and %i ms', (failures, ceilingMs) => {
    expect(backoffDelayMs(failures, { random: () => 0, baseMs: 2000 })).toBe(2000)
    expect(backoffDelayMs(failures, { random: () => 0.999_999, baseMs: 2000 })).toBe(
      Math.floor(2000 + 0.999_999 * (ceilingMs - 2000)),
    )
  })

  it('spreads waits uniformly between the cadence and the ceiling (jitter)', () => {
    expect(backoffDelayMs(5, { random: () => 0.25, baseMs: 2000 })).toBe(3500)
    expect(backoffDelayMs(5, { random: () => 0.75, baseMs: 2000 })).toBe(6500)
  })

  it('never exceeds the 30 s cap, and never waits less than the cadence', () => {
    for (let failures = 1; failures < 100; failures++) {
      const longest = backoffDelayMs(failures, { random: () => 0.999_999, baseMs: 2000 })
      expect(longest).toBeLessThanOrEqual(BACKOFF_CAP_MS)
      expect(backoffDelayMs(failures, { random: () => 0, baseMs: 2000 })).toBe(2000)
    }
  })

  it('keeps a cadence longer than the cap as it is', () => {
    expect(backoffDelayMs(10, { random: () => 0.5, baseMs: 60_000 })).toBe(60_000)
  })
})
