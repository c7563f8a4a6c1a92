/** The tail breakdown behind the docs' "why": which requests count, where they ran, what they waited for. */
import { describe, expect, it } from 'vitest'
import { comparedRouter } from './compared-routers.js'
import { runOnce } from './engine.js'
import type { TailMetric } from './results.js'
import {
  partsOf,
  type RunTail,
  seedCounts,
  seedCountsTable,
  TailCollector,
  type TailSummary,
  type TailsResults,
  tailsTable,
} from './tail-breakdown.js'
import type { HostSpec } from './world/fleet-spec.js'
import { type HostJob, newJob } from './world/host.js'

const H100: HostSpec = { name: 'big', board: 'h100', gpuCount: 8, gpusPerUnit: 1, slotsPerUnit: 8 }
const T4: HostSpec = { name: 'small', board: 't4', gpuCount: 1, gpusPerUnit: 1, slotsPerUnit: 2 }

/** A finished request: `placeMs` waiting for a slot, 100 ms of prefill, then `decodeMs`. */
function finished(arrivalMs: number, placeMs: number, decodeMs: number): HostJob {
  const job = newJob({
    id: 0,
    model: 'm',
    arrivalMs,
    promptTokens: 10,
    outputTokens: 10,
    promptBlocks: new Int32Array(0),
    answerBlocks: new Int32Array(0),
  })
  job.admittedMs = arrivalMs + placeMs
  job.loadWaitMs = 0
  job.prefillStartMs = job.admittedMs
  job.firstTokenMs = job.prefillStartMs + 100
  job.doneMs = job.firstTokenMs + decodeMs
  return job
}

describe('partsOf', () => {
  it('splits a request into parts that add up to its end-to-end time', () => {
    const job = finished(1_000, 300, 2_000)
    job.loadWaitMs = 50
    job.prefillStartMs += 70
    job.firstTokenMs += 70
    job.doneMs += 70
    const parts = partsOf(job)
    expect(parts).toEqual({ place: 300, load: 50, promptsAhead: 20, prefill: 100, decode: 2_000 })
    expect(parts.place + parts.load + parts.promptsAhead + parts.prefill + parts.decode).toBe(
      job.doneMs - job.arrivalMs,
    )
  })
})

describe('partsOf on a simulated run', () => {
  it('gives parts of at least 0 that add up to each request’s TTFT and end-to-end time', () => {
    const jobs: HostJob[] = []
    runOnce({
      workload: 'agentic',
      load: 0.85,
      seed: 3,
      requests: 400,
      makeRouter: comparedRouter('weighted-least-in-flight').make,
      onRequestDone: (job) => jobs.push(job),
    })
    expect(jobs.length).toBeGreaterThan(300)
    const occurred = { place: 0, load: 0, promptsAhead: 0 }
    for (const job of jobs) {
      const p = partsOf(job)
      expect(Math.min(p.place, p.load, p.promptsAhead, p.prefill, p.decode)).toBeGreaterThanOrEqual(0)
      expect(p.place + p.load + p.promptsAhead + p.prefill).toBeCloseTo(job.firstTokenMs - job.arrivalMs, 6)
      expect(p.place + p.load + p.promptsAhead + p.prefill + p.decode).toBeCloseTo(
        job.doneMs - job.arrivalMs,
        6,
      )
      if (p.place > 0) occurred.place++
      if (p.load > 0) occurred.load++
      if (p.promptsAhead > 0) occurred.promptsAhead++
    }
    // The run exercises every part, not only prefill and decode. (No request has all three: a request
    // that waited for a place in its model's runner finds the model loaded, since the requests holding
    // the places keep it from being unloaded.)
    expect(Math.min(occurred.place, occurred.load, occurred.promptsAhead)).toBeGreaterThan(0)
  })
})

describe('TailCollector', () => {
  it('keeps the measured requests at or above the p95, and takes the median over runs of each run’s means', () => {
    const collector = new TailCollector('r', 'ttft')
    for (const [run, slowPlaceMs] of [
      [0, 1_000],
      [1, 3_000],
      [2, 9_000],
    ] as const) {
      // Before the warm-up ends: slower than anything measured, and not counted.
      collector.record(finished(0, 99_000, 0), T4)
      // 20 measured requests: the p95 (nearest rank) is the 19th, so the two slowest are the tail.
      for (let i = 0; i < 18; i++) collector.record(finished(100, i, 0), H100)
      collector.record(finished(100, slowPlaceMs, 0), H100)
      collector.record(finished(100, slowPlaceMs + 2_000 * run, 0), T4)
      collector.endRun(50)
    }
    const summary = collector.summary()
    expect(summary.requests).toBe(6)
    expect(summary.shareByClass).toEqual({ h100: 0.5, t4: 0.5 })
    // Run means of the wait for a place: 1 000, 4 000 and 11 000 ms.
    expect(summary.meanS.place).toBe(4)
    // Each run's p95 is its 19th request: 1.1, 3.1 and 9.1 s to the first token.
    expect(summary.p95Ms).toBe(3_100)
    expect(summary.meanS.prefill).toBeCloseTo(0.1)
    expect(summary.firstTokenS).toBeCloseTo(4.1)
    expect(summary.answerTokens).toBe(10)
  })

  it('ranks by end-to-end time for an e2e figure', () => {
    const collector = new TailCollector('r', 'e2e')
    for (let i = 0; i < 19; i++) collector.record(finished(0, 500, i), H100)
    collector.record(finished(0, 0, 60_000), T4)
    collector.endRun(0)
    const summary = collector.summary()
    expect(summary.shareByClass).toEqual({ h100: 0.5, t4: 0.5 })
    expect(summary.meanS.decode).toBeCloseTo((18 + 60_000) / 2 / 1000)
    // 20 answer tokens over 60.018 s of decoding.
    expect(summary.decodeTokensPerS).toBeCloseTo(20 / 60.018)
  })

  it('refuses a run with nothing measured', () => {
    const collector = new TailCollector('r', 'e2e')
    collector.record(finished(0, 0, 1), H100)
    expect(() => collector.endRun(1)).toThrow('a run with no measured request')
  })
})

describe('tailsTable', () => {
  const row = (strategy: string, shareByClass: Record<string, number>) => ({
    strategy,
    requests: 10,
    p95Ms: 20_000,
    shareByClass,
    meanS: { place: 12.34, load: 0.04, promptsAhead: 1.25, prefill: 3, decode: 40 },
    firstTokenS: 16.6,
    answerTokens: 402.4,
    decodeTokensPerS: 10.06,
    perSeed: [],
  })
  const results = (metric: TailMetric): TailsResults => ({
    describes: '',
    command: '',
    default: 'd',
    seeds: [1],
    requestsPerRun: 100,
    figures: [
      {
        name: 'chat 50 % x',
        workload: 'chat',
        load: 0.5,
        metric,
        rows: [row('d', { t4: 0.04, a100: 0.3, h100: 0.66 }), row('r', { t4: 1 })],
      },
    ],
  })

  it('lists the classes holding 5 % or more, most first, then the seconds and the answers', () => {
    expect(tailsTable(results('ttft')).split('\n').slice(2)).toEqual([
      '| chat 50 % x | d | h100 66 %, a100 30 % | 12 | 0.0 | 1.3 | 3.0 | 17 | 40 | 402 | 10.1 |',
      '| chat 50 % x | r | t4 100 % | 12 | 0.0 | 1.3 | 3.0 | 17 | 40 | 402 | 10.1 |',
    ])
  })

  it('says so when no rival wins a figure', () => {
    expect(tailsTable({ ...results('e2e'), figures: [] })).toBe(
      'No figure where a rival has the lower median p95.',
    )
  })
})

describe('seedCounts', () => {
  const run = (p95Ms: number, firstTokenS: number, decodeTokensPerS: number, placeS: number): RunTail => ({
    p95Ms,
    meanS: { place: placeS, load: 1, promptsAhead: 1, prefill: 1, decode: 1 },
    firstTokenS,
    answerTokens: 100,
    decodeTokensPerS,
  })
  const summary = (strategy: string, perSeed: RunTail[]): TailSummary => ({
    strategy,
    requests: 0,
    p95Ms: 0,
    shareByClass: {},
    meanS: { place: 0, load: 0, promptsAhead: 0, prefill: 0, decode: 0 },
    firstTokenS: 0,
    answerTokens: 0,
    decodeTokensPerS: 0,
    perSeed,
  })
  // Seed 2 is the rival's (its p95 lower); the default's tail starts sooner in seeds 1 and 2 and
  // decodes more slowly in seed 2 only; equal values count as not holding.
  const figure = {
    name: 'chat 50 % e2e',
    workload: 'chat',
    load: 0.5,
    metric: 'e2e' as const,
    rows: [
      summary('d', [run(10, 1, 50, 1), run(10, 1, 20, 1), run(10, 5, 50, 1)]),
      summary('r', [run(11, 2, 40, 1), run(9, 2, 40, 1), run(12, 5, 40, 1)]),
    ],
  }

  it('counts each comparison in all seeds and in those the rival won', () => {
    const counts = seedCounts(figure)
    expect(counts.rivalLower).toBe(1)
    expect(counts.seeds).toBe(3)
    expect(counts.holds.slice(0, 3)).toEqual([
      [2, 1],
      [1, 1],
      [0, 0],
    ])
  })

  it('writes "a of n (b of r)" per comparison', () => {
    const results: TailsResults = {
      describes: '',
      command: '',
      default: 'd',
      seeds: [1, 2, 3],
      requestsPerRun: 100,
      figures: [figure],
    }
    expect(seedCountsTable(results).split('\n')[2]).toBe(
      '| chat 50 % e2e | 1 of 3 seeds | 2 of 3 (1 of 1) | 1 of 3 (1 of 1) | 0 of 3 (0 of 1) | 0 of 3 (0 of 1) | 0 of 3 (0 of 1) |',
    )
  })
})
