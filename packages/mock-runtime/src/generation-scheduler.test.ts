import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GenerationScheduler } from './generation-scheduler.js'
import { GPU_PROFILES, type GpuProfile } from './profiles.js'

// 100 tokens/s alone, α = 0.5 (two share 141.4 tokens/s, 70.7 each), TTFT 100 ms, 2 slots.
const PROFILE: GpuProfile = {
  id: 'test',
  gpuName: 'Test',
  memoryBandwidthGBs: 1000,
  singleTokensPerS: 100,
  ttftMs: 100,
  slots: 2,
  batchingExponent: 0.5,
}

function job(outputTokens: number) {
  const state = { tokens: 0, isDone: false }
  return {
    state,
    job: {
      outputTokens,
      onTokens(_first: number, count: number) {
        state.tokens += count
      },
      onDone() {
        state.isDone = true
      },
    },
  }
}

/** The tokens a job has emitted lie in [low, high] (a tick's rounding either side of the rate). */
function expectTokensBetween(state: { tokens: number }, low: number, high: number): void {
  expect(state.tokens).toBeGreaterThanOrEqual(low)
  expect(state.tokens).toBeLessThanOrEqual(high)
}

describe('GenerationScheduler', () => {
  beforeEach(() => {
    // No sockets here: the scheduler's own timer and clock are faked.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const makeScheduler = () => new GenerationScheduler({ profile: PROFILE, now: () => performance.now() })

  it('runs modelled prefills one at a time: the second waits for the first', async () => {
    const scheduler = makeScheduler()
    const first = job(5)
    const second = job(5)
    scheduler.submit({ ...first.job, prefillMs: 300 })
    scheduler.submit({ ...second.job, prefillMs: 50 })
    await vi.advanceTimersByTimeAsync(320)
    expect(first.state.tokens).toBeGreaterThan(0)
    expect(second.state.tokens).toBe(0)
    await vi.advanceTimersByTimeAsync(50)
    expect(second.state.tokens).toBeGreaterThan(0)
  })

  it('emits nothing before TTFT, the first token at TTFT, then the single-request rate', async () => {
    const scheduler = makeScheduler()
    const one = job(1000)
    scheduler.submit(one.job)
    await vi.advanceTimersByTimeAsync(90)
    expect(one.state.tokens).toBe(0)
    await vi.advanceTimersByTimeAsync(10)
    expect(one.state.tokens).toBe(1)
    // One more second at 100 tokens/s.
    await vi.advanceTimersByTimeAsync(1000)
    expect(one.state.tokens).toBeGreaterThanOrEqual(100)
    expect(one.state.tokens).toBeLessThanOrEqual(101)
  })

  it('shares the batch: two requests get 70.7 tokens/s each, a third waits in the queue', async () => {
    const scheduler = makeScheduler()
    const [a, b, c] = [job(1000), job(1000), job(1000)]
    scheduler.submit(a.job)
    scheduler.submit(b.job)
    scheduler.submit(c.job)
    expect({ active: scheduler.activeCount, queued: scheduler.queuedCount }).toEqual({ active: 2, queued: 1 })
    expect(scheduler.peakCount).toBe(3)
    await vi.advanceTimersByTimeAsync(1100)
    // 1 token from the prefill plus 70.7 in the following second.
    for (const shared of [a, b]) {
      expect(shared.state.tokens).toBeGreaterThanOrEqual(70)
      expect(shared.state.tokens).toBeLessThanOrEqual(72)
    }
    expect(c.state.tokens).toBe(0)
  })

  it('gives each runner its own slots and batch, the runners splitting the GPU’s time', async () => {
    const scheduler = makeScheduler()
    const [a, b, c] = [job(1000), job(1000), job(1000)]
    const other = job(1000)
    scheduler.submit({ ...a.job, runner: 'x' })
    scheduler.submit({ ...b.job, runner: 'x' })
    scheduler.submit({ ...c.job, runner: 'x' })
    // Runner x is full and queues its third request; runner y's first takes a slot of its own.
    scheduler.submit({ ...other.job, runner: 'y' })
    expect({ active: scheduler.activeCount, queued: scheduler.queuedCount }).toEqual({ active: 3, queued: 1 })
    await vi.advanceTimersByTimeAsync(1100)
    // Two runners busy, each with half the GPU: x decodes a batch of two at 100 × 2^(0.5 − 1) / 2 =
    // 35.4 tokens/s each, y one at 100 / 2 = 50; plus the prefill's token.
    for (const shared of [a, b]) expectTokensBetween(shared.state, 35, 37)
    expectTokensBetween(other.state, 50, 52)
    expect(c.state.tokens).toBe(0)
  })

  it('a runner whose request is still before its first token takes no share of the GPU', async () => {
    const scheduler = makeScheduler()
    const decoding = job(1000)
    const prefilling = job(1000)
    scheduler.submit({ ...decoding.job, runner: 'x' })
    await vi.advanceTimersByTimeAsync(100)
    // Its prefill takes 2 s: runner y holds a slot but decodes nothing meanwhile.
    scheduler.submit({ ...prefilling.job, runner: 'y', prefillMs: 2000 })
    await vi.advanceTimersByTimeAsync(1000)
    // Runner x alone on the GPU: 100 tokens/s, plus the prefill's token.
    expectTokensBetween(decoding.state, 100, 102)
    expect(prefilling.state.tokens).toBe(0)
  })

  it('admits the queue head when a slot frees, by completion or cancel', async () => {
    const scheduler = makeScheduler()
    const short = job(1)
    const long = job(1000)
    const waiting = job(1000)
    scheduler.submit(short.job)
    const longTicket = scheduler.submit(long.job)
    scheduler.submit(waiting.job)
    await vi.advanceTimersByTimeAsync(110)
    expect(short.state.isDone).toBe(true)
    expect({ active: scheduler.activeCount, queued: scheduler.queuedCount }).toEqual({ active: 2, queued: 0 })
    longTicket.cancel()
    longTicket.cancel()
    expect(scheduler.activeCount).toBe(1)
    // The high-water mark stays until reset, which starts it from what is held now.
    expect(scheduler.peakCount).toBe(3)
    scheduler.resetPeak()
    expect(scheduler.peakCount).toBe(1)
    // Alone now: TTFT 100 ms plus 999 tokens at 100 tokens/s.
    await vi.advanceTimersByTimeAsync(10_200)
    expect(waiting.state.isDone).toBe(true)
    expect(long.state.isDone).toBe(false)
    expect(scheduler.activeCount).toBe(0)
  })

  it('a cancelled queued request never starts', async () => {
    const scheduler = makeScheduler()
    const [a, b, c] = [job(5), job(5), job(5)]
    scheduler.submit(a.job)
    scheduler.submit(b.job)
    scheduler.submit(c.job).cancel()
    expect(scheduler.queuedCount).toBe(0)
    await vi.advanceTimersByTimeAsync(5000)
    expect([a.state.isDone, b.state.isDone, c.state.isDone]).toEqual([true, true, false])
    expect(c.state.tokens).toBe(0)
  })

  // Two runtimes on one faked clock: which finishes first depends on the profiles alone, never on how
  // loaded the machine running the test is (racing two real servers on the wall clock did).
  it('the faster profile finishes the same request first (H100 ~10x a T4)', async () => {
    const finished: string[] = []
    for (const id of ['t4', 'h100'] as const) {
      const scheduler = new GenerationScheduler({ profile: GPU_PROFILES[id], now: () => performance.now() })
      scheduler.submit({ outputTokens: 200, onTokens: () => undefined, onDone: () => finished.push(id) })
    }
    // H100 at 445 tokens/s needs about 0.5 s; a T4 several times longer.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(finished).toEqual(['h100'])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(finished).toEqual(['h100', 't4'])
  })
})
