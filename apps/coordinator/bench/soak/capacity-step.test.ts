/** A capacity step is judged on its median attempt, never its best one. */
import { describe, expect, it } from 'vitest'
import { type CapacityAttempt, summarizeStep } from './capacity-step.js'

const criteria = { p99TargetMs: 10, intervalMs: 2000 }

function attempt(index: number, overrides: Partial<CapacityAttempt> = {}): CapacityAttempt {
  return {
    attempt: index,
    pushesPerS: 1000,
    targetPerS: 1000,
    p50Ms: 0.3,
    p99Ms: 3,
    maxLagMs: 12,
    errors: 0,
    rssMiB: 120,
    cpuPct: 20,
    ...overrides,
  }
}

describe('summarizeStep', () => {
  it('fails a step that held in one attempt of three (best-of-three would have passed it)', () => {
    const step = summarizeStep(
      8000,
      [attempt(1, { p99Ms: 40 }), attempt(2, { p99Ms: 4 }), attempt(3, { p99Ms: 25 })],
      criteria,
    )
    expect(step).toMatchObject({ agents: 8000, p99Ms: 25, p99MinMs: 4, p99MaxMs: 40, holds: false })
    expect(step.attempts).toHaveLength(3)
  })

  it('passes a step whose median attempt holds despite one bad burst', () => {
    const step = summarizeStep(
      8000,
      [attempt(1, { p99Ms: 5 }), attempt(2, { p99Ms: 900, maxLagMs: 3000 }), attempt(3, { p99Ms: 7 })],
      criteria,
    )
    expect(step).toMatchObject({ p99Ms: 7, maxLagMs: 12, holds: true })
  })

  it('fails a step that falls behind the schedule or errs in most attempts', () => {
    const behind = attempt(1, { pushesPerS: 900 })
    expect(summarizeStep(1000, [behind, { ...behind, attempt: 2 }, attempt(3)], criteria).holds).toBe(false)
    const erring = attempt(1, { errors: 2 })
    expect(summarizeStep(1000, [erring, { ...erring, attempt: 2 }, attempt(3)], criteria).holds).toBe(false)
  })

  it('refuses a step without attempts', () => {
    expect(() => summarizeStep(1000, [], criteria)).toThrow('no attempts')
  })
})
