/**
 * The default's single pass skips nodes that cannot beat the runner-up on decode, uncached prefill
 * and a cold load alone (`cannotFinishBefore`). A differential test holds its pick, its ties and its runner-up equal to
 * estimating every node with `estimateTotal` (whose figures fastest-finish.test.ts checks by hand), and
 * a literal case puts a node just inside the bound.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { prefixBlockHashes } from '../learning/prefix-index.js'
import type { NodeView } from '../node-view.js'
import { prepareContext } from './fastest-finish.js'
import { cannotFinishBefore, estimateTotal } from './finish-estimate.js'
import { select } from './select.js'
import type { Selection } from './selection.js'
import { emptySample, makeNode, makeRequest, makeState, NOW } from './strategy-contract.test-suite.js'

const MODEL = 'llama3.1:8b'

/** |a − b| relative to b: estimates of a slow node run to millions of seconds, past any fixed tolerance. */
function relativeGap(a: number, b: number): number {
  return Math.abs(a - b) / b
}

function finishReason(selection: Selection) {
  if (selection.kind !== 'selected' || selection.reason.kind !== 'fastest-finish') {
    throw new Error('expected a fastest-finish selection')
  }
  return selection.reason
}

describe('fastest-finish: the nodes a decision skips', () => {
  it('still names a runner-up 5 % faster than the next, which a bound looser by 10 % would skip', () => {
    // Idle nodes, resident models, no prompt: decode alone, 256 tokens at 1 token/s per point.
    // h100 256 / 434 = 0.590 s wins; a100 256 / 235.1 = 1.089 s; close 256 / 247.5 = 1.034 s, which a
    // bound of 0.9 × its rate against the a100's 1.089 s (256 > 1.089 × 247.5 × 0.9 = 242.5) would skip.
    const nodes = [
      makeNode('h100', { computeScore: 434, runtimeKind: 'openai' }),
      makeNode('a100', { computeScore: 235.1, runtimeKind: 'openai' }),
      makeNode('close', { computeScore: 247.5, runtimeKind: 'openai' }),
    ]
    const reason = finishReason(select(nodes, makeRequest({ model: MODEL }), makeState('fastest-finish')))
    expect(reason.estimateS).toBeCloseTo(0.59, 3)
    expect(reason.runnerUp).toMatchObject({ name: 'close' })
    expect(reason.runnerUp?.estimateS).toBeCloseTo(1.034, 3)
  })

  it('picks as if every node were estimated: the soonest, one of its ties, and the next as runner-up', () => {
    const node = fc.record({
      gpuScore: fc.double({ min: 0, max: 2_000, noNaN: true }),
      gpuCount: fc.integer({ min: 1, max: 8 }),
      // Unknown, or a GPU the drawn model size fits or spans several of.
      gpuVramBytes: fc.constantFrom(0, 16 * 1024 ** 3, 80 * 1024 ** 3),
      inFlight: fc.nat(20),
      maxConcurrency: fc.integer({ min: 1, max: 16 }),
      runtimeKind: fc.constantFrom('ollama' as const, 'openai' as const),
      cpuPct: fc.constantFrom(10, 10, 10, 95),
      measuredTokensPerS: fc.option(fc.double({ min: 1, max: 2_000, noNaN: true }), { nil: null }),
      measuredPrefillPerS: fc.option(fc.double({ min: 100, max: 100_000, noNaN: true }), { nil: null }),
      gpuMemoryPct: fc.constantFrom(10, 90),
      // Reported loaded; routed here now (a load under way) or 10 s ago (done); never here.
      residency: fc.constantFrom(
        'loaded' as const,
        'routed' as const,
        'routed-earlier' as const,
        'cold' as const,
      ),
      cachedShare: fc.constantFrom(0, 0, 0.25, 0.5, 1),
    })
    // Copies of one node make exact ties; the prompt makes prefill and cached prefixes count; a client's
    // token limit shortens this answer but not those queued ahead of it.
    const limit = fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined })
    const loadSeconds = fc.option(fc.double({ min: 0.1, max: 30, noNaN: true }), { nil: null })
    const modelBytes = fc.option(fc.constantFrom(4.9e9, 43e9), { nil: null })
    const fleet = fc
      .array(node, { minLength: 1, maxLength: 25 })
      .chain((nodes) => fc.tuple(fc.constant(nodes), fc.array(fc.nat(nodes.length - 1), { maxLength: 3 })))
    fc.assert(
      fc.property(
        fleet,
        fc.integer({ min: 0, max: 20_000 }),
        limit,
        loadSeconds,
        modelBytes,
        ([drawn, copies], promptBytes, maxOutputTokens, measuredLoadS, sizeBytes) => {
          const fields = [...drawn, ...copies.map((index) => drawn[index] as (typeof drawn)[number])]
          const state = makeState('fastest-finish')
          // The model's cold load, as a node outside the fleet measured it (or the 5 s prior).
          if (measuredLoadS !== null)
            state.knowledge.observe({ ...emptySample(999, MODEL, 100), loadSeconds: measuredLoadS })
          if (sizeBytes !== null) state.knowledge.noteModelSizes([{ name: MODEL, sizeBytes }])
          const prompt = Buffer.alloc(promptBytes, 'p')
          const hashes = prefixBlockHashes(prompt)
          const nodes = fields.map(
            ({ measuredTokensPerS, measuredPrefillPerS, residency, cachedShare, ...view }, index) => {
              const made = makeNode(`n${index}`, { ...view, computeScore: view.gpuScore * view.gpuCount })
              if (residency === 'loaded') state.knowledge.noteLoaded(made.slot, new Set([MODEL]), NOW)
              if (residency === 'routed') state.knowledge.noteRouted(made.slot, MODEL, NOW)
              if (residency === 'routed-earlier') state.knowledge.noteRouted(made.slot, MODEL, NOW - 10_000)
              // None, part or all of the prompt cached here: the deepest prefix sets what every node prefills.
              const cached = hashes.subarray(0, Math.floor(hashes.length * cachedShare))
              if (cached.length > 0) state.prefixIndex.record(cached, made.slot, NOW)
              if (measuredTokensPerS !== null || measuredPrefillPerS !== null) {
                state.knowledge.observe({
                  slot: made.slot,
                  model: MODEL,
                  gpuScore: view.gpuScore,
                  gpuCount: made.gpuCount,
                  gpuVramBytes: made.gpuVramBytes,
                  concurrency: 1,
                  decodeTokens: measuredTokensPerS === null ? null : 256,
                  decodeSeconds: measuredTokensPerS === null ? null : 256 / measuredTokensPerS,
                  prefillTokens: measuredPrefillPerS === null ? null : 4_096,
                  prefillSeconds: measuredPrefillPerS === null ? null : 4_096 / measuredPrefillPerS,
                  loadSeconds: null,
                  outputTokens: null,
                })
              }
              return made
            },
          )
          const request = makeRequest({
            model: MODEL,
            probe: { promptTokens: promptBytes / 4, prefixHashes: hashes, maxOutputTokens },
          })
          const selection = select(nodes, request, state)
          const reason = finishReason(selection)

          const context = prepareContext(request, state)
          // The bound never exceeds a node's own estimate: each node, against itself, is never skipped.
          for (const view of nodes)
            expect(cannotFinishBefore(view, context, estimateTotal(view, context)), view.id).toBe(false)
          const isHot = (view: NodeView) => (view.cpuPct ?? 0) > state.busy.cpuPct
          const cool = nodes.filter((view) => !isHot(view))
          const pool = cool.length > 0 ? cool : nodes
          const estimates = pool.map((view) => estimateTotal(view, context))
          const best = Math.min(...estimates)
          const tied = pool.filter((_view, index) => estimates[index] === best)
          expect(tied.map((view) => view.id)).toContain(
            selection.kind === 'selected' ? selection.node.id : '',
          )
          // The reason's figure comes from estimateFinish, which sums the same terms in another order.
          expect(relativeGap(reason.estimateS, best)).toBeLessThan(1e-12)
          const rest = estimates.filter((estimate) => estimate > best)
          if (tied.length > 1 || rest.length === 0 || cool.length === 0) expect(reason.runnerUp).toBeNull()
          else expect(relativeGap(reason.runnerUp?.estimateS ?? 0, Math.min(...rest))).toBeLessThan(1e-12)
        },
      ),
      { numRuns: 500 },
    )
  })
})
