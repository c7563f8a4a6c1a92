import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FleetKnowledge } from '../learning/fleet-knowledge.js'
import { PrefixHits, PrefixIndex, prefixBlockHashes } from '../learning/prefix-index.js'
import {
  createRequestContext,
  createTerms,
  estimateFinish,
  estimateTotal,
  useTable,
} from './finish-estimate.js'
import { makeNode, NOW } from './strategy-contract.test-suite.js'

const MODEL = 'llama3.1:8b'

describe('estimateTotal', () => {
  it('equals the sum of the terms estimateFinish reports, for any node and learned state', () => {
    fc.assert(
      fc.property(
        fc.record({
          gpuScore: fc.double({ min: 0, max: 2_000, noNaN: true }),
          inFlight: fc.nat(40),
          runtimeBacklog: fc.nat(10),
          maxConcurrency: fc.integer({ min: 1, max: 64 }),
          gpuMemoryPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
          runtimeKind: fc.constantFrom('ollama' as const, 'openai' as const),
          slot: fc.nat(20),
          gpuCount: fc.integer({ min: 1, max: 8 }),
          capacityShare: fc.constantFrom(1, 1 / 2, 1 / 3),
          othersAwaitingTokens: fc.nat(50_000),
        }),
        fc.record({
          decodeTokensPerS: fc.option(fc.double({ min: 1, max: 5_000, noNaN: true }), { nil: null }),
          prefillTokensPerS: fc.option(fc.double({ min: 100, max: 50_000, noNaN: true }), { nil: null }),
          isLoaded: fc.boolean(),
          isRouted: fc.boolean(),
          promptBytes: fc.integer({ min: 0, max: 20_000 }),
          cachedOnSlot: fc.boolean(),
          isUnqueued: fc.boolean(),
          startConcurrency: fc.integer({ min: 1, max: 100 }),
          awaitingTokens: fc.nat(50_000),
          waitingWeight: fc.double({ min: 1, max: 100, noNaN: true }),
          answerLimit: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: null }),
          heldForModel: fc.nat(50),
        }),
        (fields, learned) => {
          const node = makeNode('n', fields)
          const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
          knowledge.ensureSlots(21)
          const base = {
            slot: node.slot,
            model: MODEL,
            gpuScore: 100,
            gpuCount: node.gpuCount,
            gpuVramBytes: node.gpuVramBytes,
            concurrency: 2,
            loadSeconds: 3,
            outputTokens: 300,
          }
          knowledge.observe({
            ...base,
            decodeTokens: learned.decodeTokensPerS === null ? null : 256,
            decodeSeconds: learned.decodeTokensPerS === null ? null : 256 / learned.decodeTokensPerS,
            prefillTokens: learned.prefillTokensPerS === null ? null : 1_000,
            prefillSeconds: learned.prefillTokensPerS === null ? null : 1_000 / learned.prefillTokensPerS,
            queuedSeconds: learned.isUnqueued ? 0 : 1,
            startConcurrency: learned.startConcurrency,
          })
          if (learned.isLoaded) knowledge.noteLoaded(node.slot, new Set([MODEL]), NOW)
          if (learned.isRouted) knowledge.noteRouted(node.slot, MODEL, NOW - 1_000)
          const body = Buffer.alloc(learned.promptBytes, 'p')
          const index = new PrefixIndex({ maxEntries: 100, ttlMs: 60_000 })
          if (learned.cachedOnSlot) index.record(prefixBlockHashes(body), node.slot, NOW)
          const hits = new PrefixHits()
          index.lookup(prefixBlockHashes(body), NOW, hits)

          knowledge.addAwaiting(node.slot, learned.awaitingTokens)
          const context = createRequestContext(learned.waitingWeight)
          context.awaiting = knowledge.awaitingTokens
          const table = knowledge.peek(MODEL)
          useTable(context, table, NOW)
          context.promptTokens = learned.promptBytes / 4
          context.outputTokens = table?.outputTokens.mean ?? 256
          context.answerTokens = Math.min(
            context.outputTokens,
            learned.answerLimit ?? Number.POSITIVE_INFINITY,
          )
          context.loadSeconds = table?.loadSeconds.mean ?? 5
          context.decodePerPoint = table?.decodePerPoint.mean ?? 1
          context.prefillPerPoint = table?.prefillPerPoint.mean ?? 30
          context.hits = hits
          context.capacity = knowledge.capacity
          context.heldForModel = learned.heldForModel
          const terms = createTerms()
          const total = estimateFinish(node, context, terms)
          expect(total).toBeCloseTo(terms.queueS + terms.coldS + terms.prefillS + terms.decodeS, 9)
          expect(estimateTotal(node, context) / total).toBeCloseTo(1, 12)
        },
      ),
      { numRuns: 300 },
    )
  })
})
