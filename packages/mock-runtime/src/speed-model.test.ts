import { describe, expect, it } from 'vitest'
import { GPU_PROFILES, type GpuProfile, PROFILE_IDS } from './profiles.js'
import {
  admit,
  aggregateTokensPerS,
  estimateCompletionMs,
  perRequestTokensPerS,
  scaleProfile,
  splitInFlight,
} from './speed-model.js'

// Round numbers so every expectation below is worked out by hand: single 100 tokens/s, α = 0.5, 4 slots.
const SQUARE_ROOT: GpuProfile = {
  id: 'test',
  gpuName: 'Test',
  memoryBandwidthGBs: 1000,
  singleTokensPerS: 100,
  ttftMs: 50,
  slots: 4,
  batchingExponent: 0.5,
}

describe('aggregateTokensPerS and perRequestTokensPerS', () => {
  it.each([
    { active: 0, aggregate: 0, perRequest: 0 },
    { active: 1, aggregate: 100, perRequest: 100 },
    { active: 4, aggregate: 200, perRequest: 50 },
    // Beyond the slot limit the extra requests queue: the batch stays at 4.
    { active: 9, aggregate: 200, perRequest: 50 },
  ])(
    '$active active: $aggregate tokens/s in total, $perRequest each',
    ({ active, aggregate, perRequest }) => {
      expect(aggregateTokensPerS(SQUARE_ROOT, active)).toBeCloseTo(aggregate, 9)
      expect(perRequestTokensPerS(SQUARE_ROOT, active)).toBeCloseTo(perRequest, 9)
    },
  )

  it.each(PROFILE_IDS)('%s: aggregate grows with every request up to the slots, but sublinearly', (id) => {
    const profile = GPU_PROFILES[id]
    for (let active = 1; active < profile.slots; active++) {
      const now = aggregateTokensPerS(profile, active)
      const next = aggregateTokensPerS(profile, active + 1)
      expect(next).toBeGreaterThan(now)
      expect(next).toBeLessThan((now * (active + 1)) / active)
      expect(perRequestTokensPerS(profile, active + 1)).toBeLessThan(perRequestTokensPerS(profile, active))
    }
  })
})

describe('admission', () => {
  it.each([
    { inFlight: 0, active: 0, queued: 0, next: 'slot' },
    { inFlight: 3, active: 3, queued: 0, next: 'slot' },
    { inFlight: 4, active: 4, queued: 0, next: 'queue' },
    { inFlight: 7, active: 4, queued: 3, next: 'queue' },
  ])(
    '$inFlight in flight on 4 slots: $active active, $queued queued',
    ({ inFlight, active, queued, next }) => {
      expect(splitInFlight(SQUARE_ROOT, inFlight)).toEqual({ active, queued })
      expect(admit(SQUARE_ROOT, Math.min(inFlight, 4))).toBe(next)
    },
  )
})

describe('estimateCompletionMs', () => {
  it.each([
    // TTFT 50 ms brings the first token; 100 more at 100 tokens/s take 1000 ms.
    { tokens: 101, concurrent: 1, expectedMs: 1050 },
    // Four share 200 tokens/s: 50 each, so the same 100 tokens take 2000 ms.
    { tokens: 101, concurrent: 4, expectedMs: 2050 },
    { tokens: 0, concurrent: 1, expectedMs: 50 },
  ])('$tokens tokens with $concurrent concurrent: $expectedMs ms', ({ tokens, concurrent, expectedMs }) => {
    expect(estimateCompletionMs(SQUARE_ROOT, tokens, concurrent)).toBeCloseTo(expectedMs, 6)
  })
})

describe('scaleProfile', () => {
  it('multiplies tokens/s and divides TTFT, keeping slots and curve', () => {
    expect(scaleProfile(SQUARE_ROOT, 10)).toEqual({ ...SQUARE_ROOT, singleTokensPerS: 1000, ttftMs: 5 })
  })
  it('rejects a non-positive scale', () => {
    expect(() => scaleProfile(SQUARE_ROOT, 0)).toThrow(RangeError)
  })
})

describe('profiles', () => {
  it('are listed fastest first', () => {
    const speeds = PROFILE_IDS.map((id) => GPU_PROFILES[id].singleTokensPerS)
    expect([...speeds].sort((a, b) => b - a)).toEqual(speeds)
  })

  it.each([
    // Decode follows memory bandwidth: H100 3350 GB/s vs T4 320 GB/s is 10.5x; A100 2039 vs RTX 3090 936 is 2.2x.
    { faster: 'h100', slower: 't4', bandwidthRatio: 10.5 },
    { faster: 'a100', slower: 'rtx-3090', bandwidthRatio: 2.18 },
    { faster: 'rtx-4090', slower: 'l4', bandwidthRatio: 3.36 },
  ] as const)(
    '$faster decodes ~$bandwidthRatio x faster than $slower',
    ({ faster, slower, bandwidthRatio }) => {
      const ratio = GPU_PROFILES[faster].singleTokensPerS / GPU_PROFILES[slower].singleTokensPerS
      expect(ratio).toBeGreaterThan(bandwidthRatio * 0.9)
      expect(ratio).toBeLessThan(bandwidthRatio * 1.1)
    },
  )

  it('the L4 decodes no faster than the T4 but has the shorter TTFT (compute, not bandwidth)', () => {
    expect(GPU_PROFILES.l4.singleTokensPerS).toBeLessThanOrEqual(GPU_PROFILES.t4.singleTokensPerS)
    expect(GPU_PROFILES.l4.ttftMs).toBeLessThan(GPU_PROFILES.t4.ttftMs)
  })

  it('each id is its own key and every batching exponent is in (0, 1]', () => {
    for (const id of PROFILE_IDS) {
      expect(GPU_PROFILES[id].id).toBe(id)
      expect(GPU_PROFILES[id].batchingExponent).toBeGreaterThan(0)
      expect(GPU_PROFILES[id].batchingExponent).toBeLessThanOrEqual(1)
    }
  })
})
