/** The true host model: batching, prefill, prefix-cache hits, Ollama's eviction order, load time. */
import { describe, expect, it } from 'vitest'
import { BLOCK_TOKENS, modelSpec } from './catalog.js'
import type { HostSpec } from './fleet-spec.js'
import type { HiddenFactors } from './hidden.js'
import { type HostJob, newJob, SimHost, unitSpeeds } from './host.js'

const SPEC: HostSpec = { name: 'h', board: 'rtx-4090', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 4 }
const FACTORS: HiddenFactors = { decode: 1, prefill: 1, batchingExponent: 0.5, loadGBs: 2, throttle: null }

type TestJob = { -readonly [K in keyof HostJob]: HostJob[K] }

let nextId = 0
function job(model: string, promptTokens: number, outputTokens: number, blocks: number[] = []): TestJob {
  return newJob({
    id: nextId++,
    model,
    arrivalMs: 0,
    promptTokens,
    outputTokens,
    promptBlocks: Int32Array.from(blocks),
    answerBlocks: Int32Array.from(blocks),
  })
}

/** Runs the host until nothing is left, submitting each job at its arrival time. */
function serve(jobs: HostJob[], factors = FACTORS, spec = SPEC) {
  const done: HostJob[] = []
  const host = new SimHost(
    spec,
    factors,
    () => {},
    (finished) => done.push(finished),
  )
  const pending = [...jobs].sort((a, b) => a.arrivalMs - b.arrivalMs)
  let now = 0
  for (;;) {
    const next = host.nextEventMs()
    const arrival = pending[0]
    if (arrival !== undefined && arrival.arrivalMs <= next) {
      now = arrival.arrivalMs
      pending.shift()
      host.submit(arrival, now)
    } else if (Number.isFinite(next)) {
      now = next
      host.advanceTo(now)
    } else break
  }
  return { host, done }
}

describe('SimHost', () => {
  const speeds = unitSpeeds(SPEC, FACTORS, 'llama3.1:8b')

  it('loads a cold model at size ÷ load bandwidth before the prefill', () => {
    const only = job('llama3.1:8b', 640, 1)
    serve([only])
    const loadMs = (modelSpec('llama3.1:8b').sizeGB / FACTORS.loadGBs) * 1000
    expect(only.triggeredLoad).toBe(true)
    expect(only.loadWaitMs).toBeCloseTo(loadMs, 6)
    expect(only.firstTokenMs).toBeCloseTo(loadMs + 640 / speeds.prefillPerMs, 6)
  })

  it('decodes two requests together at n^α aggregate speed (each at n^(α−1))', () => {
    const warm = job('llama3.1:8b', 64, 1)
    const a = job('llama3.1:8b', 64, 101)
    const b = job('llama3.1:8b', 64, 101)
    a.arrivalMs = b.arrivalMs = 60_000
    serve([warm, a, b])
    // Both decode 100 tokens side by side: 2^(0.5−1) of the single-stream speed each (prefills are short).
    const alone = 100 / speeds.decodePerMs
    const together = a.doneMs - a.firstTokenMs
    expect(together / alone).toBeGreaterThan(1.35)
    expect(together / alone).toBeLessThan(2 ** 0.5 + 0.01)
  })

  it('serves a repeated prefix from the cache: only the uncached part is prefilled', () => {
    const blocks = Array.from({ length: 20 }, (_, i) => 1000 + i)
    const first = job('llama3.1:8b', 20 * BLOCK_TOKENS, 1, blocks)
    const second = job('llama3.1:8b', 20 * BLOCK_TOKENS + 30, 1, blocks)
    second.arrivalMs = 60_000
    serve([first, second])
    expect(first.cachedTokens).toBe(0)
    expect(second.cachedTokens).toBe(20 * BLOCK_TOKENS)
    expect(second.firstTokenMs - second.prefillStartMs).toBeCloseTo(30 / speeds.prefillPerMs, 6)
  })

  it('evicts as Ollama does: the first idle runner by name, not the least recently used', () => {
    // A T4 (16 GiB) holds llama3.1:8b (4.9 GB) and llama3.2:3b (2.0 GB) but not qwen2.5:14b (9 GB) beside both.
    const t4: HostSpec = { name: 't', board: 't4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 2 }
    const first = job('llama3.2:3b', 64, 1)
    const second = job('llama3.1:8b', 64, 1)
    second.arrivalMs = 30_000
    const third = job('qwen2.5:14b', 64, 1)
    third.arrivalMs = 60_000
    const again3b = job('llama3.2:3b', 64, 1)
    again3b.arrivalMs = 90_000
    const again = job('llama3.1:8b', 64, 1)
    again.arrivalMs = 120_000
    serve([first, second, third, again3b, again], FACTORS, t4)
    // llama3.1:8b sorts before llama3.2:3b: it was unloaded although llama3.2:3b was used longer ago.
    expect(third.triggeredLoad).toBe(true)
    expect(again3b.triggeredLoad).toBe(false)
    expect(again.triggeredLoad).toBe(true)
  })

  it('queues beyond its slots and completes every request once', () => {
    const jobs = Array.from({ length: 12 }, () => job('llama3.1:8b', 128, 50))
    const { done, host } = serve(jobs)
    expect(done.map((finished) => finished.id).sort()).toEqual(jobs.map((j) => j.id).sort())
    expect(host.activeCount).toBe(0)
    // At most 4 slots: the fifth request's prefill starts only after a slot frees.
    const starts = jobs.map((j) => j.prefillStartMs).sort((a, b) => a - b)
    const firstDone = Math.min(...jobs.map((j) => j.doneMs))
    expect(starts[4]).toBeGreaterThanOrEqual(firstDone - 1e-6)
  })

  it('gives each loaded model its own places, as Ollama gives each runner its own semaphore', () => {
    // Both models warm first, so that nothing below waits for a load.
    const warmA = job('llama3.1:8b', 64, 1)
    const warmB = job('llama3.2:3b', 64, 1)
    const busyA = Array.from({ length: 5 }, () => job('llama3.1:8b', 64, 400))
    const b = job('llama3.2:3b', 64, 10)
    for (const later of [...busyA, b]) later.arrivalMs = 60_000
    serve([warmA, warmB, ...busyA, b])
    // The 8B model's fifth request waits for one of its own 4 places...
    const admitted = busyA.map((j) => j.admittedMs).sort((x, y) => x - y)
    expect(admitted[3]).toBe(60_000)
    expect(admitted[4]).toBeGreaterThan(60_000)
    // ...while the 3B model's request, behind it in arrival order, takes a place of its runner at once.
    expect(b.admittedMs).toBe(60_000)
    expect(b.loadWaitMs).toBe(0)
  })

  it('runs each model in its own batch: two models decoding at once split the GPU’s time', () => {
    const alone = job('llama3.1:8b', 64, 401)
    serve([job('llama3.1:8b', 64, 1), alone])
    const aloneMs = alone.doneMs - alone.firstTokenMs
    // Both models warm, then one answer each at once: each batch of one gets half the GPU, where one
    // batch of two would give each 2^(0.5 − 1) = 0.71 of it.
    const warm = [job('llama3.1:8b', 64, 1), job('qwen2.5:7b', 64, 1)]
    const pair = [job('llama3.1:8b', 64, 401), job('qwen2.5:7b', 64, 401)]
    for (const later of pair) later.arrivalMs = 60_000
    serve([...warm, ...pair])
    const first = pair[0] as HostJob
    // It decodes alone during the other's short prefill, then beside it: about twice as long.
    expect((first.doneMs - first.firstTokenMs) / aloneMs).toBeGreaterThan(1.85)
    expect((first.doneMs - first.firstTokenMs) / aloneMs).toBeLessThan(2)
  })

  it('dispatches to the unit whose runner for the model has room, however busy its other runners', () => {
    const twoGpus: HostSpec = { ...SPEC, name: 'two', gpuCount: 2 }
    const first8b = job('llama3.1:8b', 64, 1)
    // Then the 3B model fills its 4 places on the same GPU (the tie's first pick, the 8B runner being
    // idle), and a fifth 3B request, level with a cold load on the other GPU, goes there...
    const busy3b = Array.from({ length: 5 }, () => job('llama3.2:3b', 64, 2_000))
    for (const later of busy3b) later.arrivalMs = 60_000
    // ...and an 8B request comes while they decode: GPU 0 runs 4 requests, GPU 1 one, but the 8B
    // runner on GPU 0 is idle, so it goes there and no second copy loads.
    const next8b = job('llama3.1:8b', 64, 1)
    next8b.arrivalMs = 61_000
    serve([first8b, ...busy3b, next8b], FACTORS, twoGpus)
    expect(first8b.unit).toBe(0)
    expect(busy3b.map((j) => j.unit)).toEqual([0, 0, 0, 0, 1])
    expect(next8b.unit).toBe(0)
    expect(next8b.triggeredLoad).toBe(false)
  })

  it('runs slower while throttled', () => {
    const fast = job('llama3.1:8b', 64, 200)
    fast.arrivalMs = 10_000
    const slowRun = (() => {
      const slow = job('llama3.1:8b', 64, 200)
      slow.arrivalMs = 10_000
      const done: HostJob[] = []
      const host = new SimHost(
        SPEC,
        FACTORS,
        () => {},
        (finished) => done.push(finished),
      )
      host.submit(job('llama3.1:8b', 64, 1), 0)
      let now = 0
      while (Number.isFinite(host.nextEventMs())) {
        now = host.nextEventMs()
        host.advanceTo(now)
      }
      host.setSpeedMultiplier(now, 0.5)
      host.submit(slow, slow.arrivalMs)
      while (Number.isFinite(host.nextEventMs())) host.advanceTo(host.nextEventMs())
      return slow
    })()
    serve([job('llama3.1:8b', 64, 1), fast])
    const ratio = (slowRun.doneMs - slowRun.firstTokenMs) / (fast.doneMs - fast.firstTokenMs)
    expect(ratio).toBeCloseTo(2, 6)
  })
})
