import { describe, expect, it } from 'vitest'
import { batchPerLane, batchSlowdown, lanesFor } from './batching.js'

describe('lanesFor', () => {
  it('counts a lane per GPU for a model that fits one, and for one of unknown size or VRAM', () => {
    expect(lanesFor(8, 80e9, 4.9e9)).toBe(8)
    expect(lanesFor(8, 80e9, 0)).toBe(8)
    expect(lanesFor(8, 0, 43e9)).toBe(8)
  })

  it('counts a lane per group of GPUs one copy spans: 43 GB takes two 24 GB cards (21.6 GB usable each)', () => {
    expect(lanesFor(8, 24e9, 43e9)).toBe(4)
    expect(lanesFor(3, 24e9, 43e9)).toBe(1)
    // Larger than all of them together still runs somewhere: one lane.
    expect(lanesFor(1, 24e9, 43e9)).toBe(1)
  })
})

describe('batchPerLane', () => {
  it('rounds the mean per lane and never goes below 1', () => {
    // A mean of 9 over 8 lanes: most requests were alone on theirs (rounding up would say 2).
    expect(batchPerLane(9, 8)).toBe(1)
    expect(batchPerLane(12, 8)).toBe(2)
    expect(batchPerLane(0.4, 8)).toBe(1)
    expect(batchPerLane(2.5, 1)).toBe(3)
    expect(batchPerLane(5, 0)).toBe(5)
  })
})

describe('batchSlowdown', () => {
  it('is n^0.3 from its table and beyond it', () => {
    expect(batchSlowdown(1)).toBe(1)
    expect(batchSlowdown(8)).toBeCloseTo(1.8661, 4)
    expect(batchSlowdown(2_000)).toBeCloseTo(9.7793, 4)
  })
})
