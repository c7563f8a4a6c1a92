/**
 * The continuous-batching speed model, pure and dependency-free so that the balancing simulation drives the
 * same numbers as the mock runtime: aggregate throughput grows sublinearly with active requests up to the
 * slot limit, every active request gets an equal share, and requests beyond the slot limit wait in a FIFO.
 */
import type { GpuProfile } from './profiles.js'

/**
 * A profile with every speed multiplied by `speedScale` (tokens/s up, TTFT down), so tests and demos run
 * faster while keeping every ratio between profiles.
 */
export function scaleProfile(profile: GpuProfile, speedScale: number): GpuProfile {
  if (!(speedScale > 0)) throw new RangeError(`speedScale must be > 0, got ${speedScale}`)
  return {
    ...profile,
    singleTokensPerS: profile.singleTokensPerS * speedScale,
    ttftMs: profile.ttftMs / speedScale,
  }
}

/** Requests actually decoding with `activeCount` requests admitted: never more than the slot limit. */
export function decodingCount(profile: GpuProfile, activeCount: number): number {
  return Math.max(0, Math.min(activeCount, profile.slots))
}

/** Total tokens per second the host produces with `activeCount` requests decoding: single x n^α. */
export function aggregateTokensPerS(profile: GpuProfile, activeCount: number): number {
  const decoding = decodingCount(profile, activeCount)
  if (decoding === 0) return 0
  return profile.singleTokensPerS * decoding ** profile.batchingExponent
}

/** Tokens per second each of `activeCount` concurrent requests gets: the aggregate shared equally. */
export function perRequestTokensPerS(profile: GpuProfile, activeCount: number): number {
  const decoding = decodingCount(profile, activeCount)
  if (decoding === 0) return 0
  return aggregateTokensPerS(profile, decoding) / decoding
}

/** Where a new request goes when `activeCount` are already admitted: a free slot, or the queue. */
export function admit(profile: GpuProfile, activeCount: number): 'slot' | 'queue' {
  return activeCount < profile.slots ? 'slot' : 'queue'
}

/**
 * How a host with `inFlight` requests (admitted plus queued) splits them: the first `slots` decode, the
 * rest wait in FIFO order.
 */
export function splitInFlight(profile: GpuProfile, inFlight: number): { active: number; queued: number } {
  const active = Math.max(0, Math.min(inFlight, profile.slots))
  return { active, queued: Math.max(0, inFlight - active) }
}

/**
 * Milliseconds for one request of `outputTokens` tokens to finish if `concurrent` requests (itself
 * included) share the GPU for its whole life: TTFT, then the remaining tokens at the per-request rate.
 * The first token is produced by the prefill. A steady-state estimate; the runtime itself re-shares on
 * every tick as requests come and go.
 */
export function estimateCompletionMs(profile: GpuProfile, outputTokens: number, concurrent: number): number {
  if (outputTokens <= 0) return profile.ttftMs
  const rate = perRequestTokensPerS(profile, Math.max(1, concurrent))
  return profile.ttftMs + ((outputTokens - 1) / rate) * 1000
}
