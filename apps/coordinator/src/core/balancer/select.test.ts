/** Properties of `select` over arbitrary fleets: whatever the mode, a selection obeys every filter. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { modelKeySet, ollamaModelKey } from '../model-name.js'
import type { NodeView } from '../node-view.js'
import { select } from './select.js'
import { BALANCER_MODES } from './strategies.js'
import { createBalancerState, type SelectRequest } from './strategy.js'
import { makeNode, makeRequest, makeState, NOW } from './strategy-contract.test-suite.js'

const MODELS = ['llama3.1:8b', 'qwen2.5:32b', 'mistral:7b'] as const
const percent = fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null })

const arbitraryNode = (id: string) =>
  fc
    .record({
      runtimeKind: fc.constantFrom('ollama' as const, 'openai' as const),
      computeScore: fc.constantFrom(0, 150, 700, 1200, 1800),
      inFlight: fc.nat(10),
      runtimeBacklog: fc.nat(5),
      maxConcurrency: fc.integer({ min: 1, max: 8 }),
      state: fc.constantFrom('online' as const, 'online' as const, 'stale' as const, 'draining' as const),
      hasFreshMetrics: fc.boolean(),
      cpuPct: percent,
      memoryPct: percent,
      gpuUtilPct: percent,
      gpuMemoryPct: percent,
      models: fc.subarray([...MODELS]).map((models) => new Set<string>(models)),
      coolingDownUntilMs: fc.option(fc.integer({ min: NOW - 1_000, max: NOW + 1_000 }), { nil: null }),
    })
    .map(
      (fields): NodeView => ({
        id,
        name: id,
        gpuScore: fields.computeScore,
        gpuCount: 1,
        gpuVramBytes: 0,
        capacityShare: 1,
        othersAwaitingTokens: 0,
        slot: Number(id.slice(1)),
        ...fields,
        modelKeys: modelKeySet(fields.runtimeKind, fields.models),
      }),
    )

const arbitraryFleet = fc
  .integer({ min: 0, max: 12 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => arbitraryNode(`n${i}`))))

const arbitraryRequest = fc.record({
  model: fc.option(fc.constantFrom(...MODELS), { nil: undefined }),
  apiKind: fc.constantFrom('ollama' as const, 'openai' as const),
  exclude: fc.subarray(['n0', 'n1', 'n2']).map((ids) => new Set(ids)),
})

/** Eligible in the sense of the filters every mode shares (docs/balancing.md's list, stated directly). */
function passesFilters(node: NodeView, request: SelectRequest, applyModel: boolean): boolean {
  return (
    node.state === 'online' &&
    !request.exclude.has(node.id) &&
    (request.apiKind === 'openai' || node.runtimeKind === 'ollama') &&
    (node.coolingDownUntilMs === null || node.coolingDownUntilMs <= request.now) &&
    (!applyModel || request.model === undefined || node.models.has(request.model))
  )
}

describe.each(BALANCER_MODES)('select in %s mode, over arbitrary fleets', (mode) => {
  it('selects only nodes that pass every filter, and says none only when no node does', () => {
    fc.assert(
      fc.property(arbitraryFleet, arbitraryRequest, (nodes, partial) => {
        const request: SelectRequest = { ...partial, now: NOW }
        const state = createBalancerState(() => 0.5, { mode })
        // The model filter applies when any online, compatible, not-excluded node lists models.
        const applyModel = nodes.some(
          (node) =>
            node.state === 'online' &&
            !request.exclude.has(node.id) &&
            (request.apiKind === 'openai' || node.runtimeKind === 'ollama') &&
            node.models.size > 0,
        )
        const selection = select(nodes, request, state)
        const anyPasses = nodes.some((node) => passesFilters(node, request, applyModel))
        if (selection.kind === 'selected') {
          expect(nodes).toContain(selection.node)
          expect(passesFilters(selection.node, request, applyModel)).toBe(true)
        } else {
          expect(anyPasses).toBe(false)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('select remembers model verdicts between calls', () => {
  // Shared across fleets, as the registry shares one Set per model list: a Set recurs at a position.
  const sets = new Map<string, ReadonlySet<string>>()
  const intern = (kind: string, models: ReadonlySet<string>): ReadonlySet<string> => {
    const key = `${kind}\n${[...models].sort().join('\n')}`
    const shared = sets.get(key) ?? new Set(models)
    sets.set(key, shared)
    return shared
  }
  const internedFleet = arbitraryFleet.map((nodes) =>
    nodes.map((node): NodeView => {
      const models = intern('exact', node.models)
      return {
        ...node,
        models,
        modelKeys: node.runtimeKind === 'ollama' ? intern('ollama', node.modelKeys) : models,
      }
    }),
  )
  const anyRequest = fc.record({
    model: fc.option(fc.constantFrom(...MODELS, 'Llama3.1:8B', 'mistral'), { nil: undefined }),
    // The caller's normal form, none (derived), or one that disagrees with the model.
    ollamaKey: fc.constantFrom('given', 'absent', 'other'),
    apiKind: fc.constantFrom('ollama' as const, 'openai' as const),
    exclude: fc.subarray(['n0', 'n1']).map((ids) => new Set(ids)),
  })

  it.each(BALANCER_MODES)('decides as a fresh state would, call after call (%s)', (mode) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(internedFleet, anyRequest), { maxLength: 12 }), (calls) => {
        const reused = createBalancerState(() => 0.5, { mode })
        for (const [nodes, { ollamaKey, ...partial }] of calls) {
          const request: SelectRequest = {
            ...partial,
            now: NOW,
            ollamaModelKey:
              partial.model === undefined || ollamaKey === 'absent'
                ? undefined
                : ollamaKey === 'given'
                  ? ollamaModelKey(partial.model)
                  : ollamaModelKey(MODELS[0]),
          }
          const fresh = createBalancerState(() => 0.5, { mode })
          for (const [key, turn] of reused.cursors) fresh.cursors.set(key, turn)
          expect(select(nodes, request, reused)).toEqual(select(nodes, request, fresh))
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('select matches model names as each runtime does', () => {
  const ollama = makeNode('ollama', {
    runtimeKind: 'ollama',
    models: new Set(['llama3.1:8b', 'qwen2.5:latest']),
  })
  const vllm = makeNode('vllm', { runtimeKind: 'openai', models: new Set(['meta-llama/Llama-3.1-8B']) })

  it.each([
    ['Llama3.1:8B', 'ollama'],
    ['qwen2.5', 'ollama'],
    ['registry.ollama.ai/library/QWEN2.5:latest', 'ollama'],
    ['meta-llama/Llama-3.1-8B', 'vllm'],
  ])('%s goes to %s', (model, expected) => {
    const selection = select([ollama, vllm], makeRequest({ model }), makeState('round-robin'))
    expect(selection.kind === 'selected' ? selection.node.id : selection.cause).toBe(expected)
  })

  it('never matches an OpenAI-compatible runtime case-insensitively or with an implied tag', () => {
    for (const model of ['meta-llama/llama-3.1-8b', 'meta-llama/Llama-3.1-8B:latest']) {
      const selection = select([vllm], makeRequest({ model }), makeState('round-robin'))
      expect(selection).toEqual({ kind: 'none', cause: 'model-not-served' })
    }
  })
})
