/**
 * One capacity step of the soak: every attempt at an agent count is kept, and the step is judged on
 * the median attempt of each figure, so one lucky (or unlucky) burst on a shared machine decides
 * nothing. A best-of-N would report the machine's quietest moment, not what it typically holds.
 */
import { percentile } from '../internal/percentiles.js'

/** What one attempt at a step measured. */
export interface CapacityAttempt {
  readonly attempt: number
  readonly pushesPerS: number
  readonly targetPerS: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxLagMs: number
  readonly errors: number
  readonly rssMiB: number
  readonly cpuPct: number
}

/** A step as capacity.json records it: medians over the attempts, the p99 spread, and every attempt. */
export interface CapacityStep {
  readonly agents: number
  readonly targetPerS: number
  readonly pushesPerS: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly p99MinMs: number
  readonly p99MaxMs: number
  readonly maxLagMs: number
  readonly errors: number
  readonly rssMiB: number
  readonly cpuPct: number
  /** Whether the median attempt held: p99 within target, pushes kept up, no lag, no errors. */
  readonly holds: boolean
  readonly attempts: readonly CapacityAttempt[]
}

export interface HoldCriteria {
  readonly p99TargetMs: number
  readonly intervalMs: number
}

function medianOf(attempts: readonly CapacityAttempt[], pick: (attempt: CapacityAttempt) => number): number {
  return percentile(
    attempts.map(pick).sort((a, b) => a - b),
    0.5,
  )
}

export function summarizeStep(
  agents: number,
  attempts: readonly CapacityAttempt[],
  criteria: HoldCriteria,
): CapacityStep {
  if (attempts.length === 0) throw new Error(`capacity step at ${agents} agents has no attempts`)
  const p99s = attempts.map((attempt) => attempt.p99Ms)
  const step = {
    agents,
    targetPerS: attempts[0]?.targetPerS ?? 0,
    pushesPerS: medianOf(attempts, (attempt) => attempt.pushesPerS),
    p50Ms: medianOf(attempts, (attempt) => attempt.p50Ms),
    p99Ms: medianOf(attempts, (attempt) => attempt.p99Ms),
    p99MinMs: Math.min(...p99s),
    p99MaxMs: Math.max(...p99s),
    maxLagMs: medianOf(attempts, (attempt) => attempt.maxLagMs),
    errors: medianOf(attempts, (attempt) => attempt.errors),
    rssMiB: medianOf(attempts, (attempt) => attempt.rssMiB),
    cpuPct: medianOf(attempts, (attempt) => attempt.cpuPct),
  }
  // Falling behind: fewer answered pushes than scheduled, or pushes leaving over an interval late.
  const holds =
    step.p99Ms <= criteria.p99TargetMs &&
    step.pushesPerS >= 0.97 * step.targetPerS &&
    step.maxLagMs < criteria.intervalMs &&
    step.errors === 0
  return { ...step, holds, attempts }
}
