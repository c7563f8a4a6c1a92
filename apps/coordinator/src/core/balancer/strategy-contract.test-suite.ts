/**
 * The contract every balancing mode keeps, run by each strategy's own test file (hono's
 * `common.case.test.ts` pattern): a new mode calls `describeStrategyContract(mode)` and inherits it all.
 */
import { describe, expect, it } from 'vitest'
import type { CompletionSample } from '../learning/fleet-knowledge.js'
import { modelKeySet } from '../model-name.js'
import type { NodeView } from '../node-view.js'
import { select } from './select.js'
import type { Selection } from './selection.js'
import type { BalancerMode } from './strategies.js'
import { type BalancerState, createBalancerState, type SelectRequest } from './strategy.js'

export const NOW = 1_800_000_000_000

/** Slots handed out by `makeNode`: unique across a test file, as the registry keeps them among its nodes. */
let nextSlot = 0

/**
 * An idle online Ollama node with fresh, cool metrics; override what a test is about. `gpuScore`
 * follows `computeScore` (a one-GPU host) unless given.
 */
export function makeNode(id: string, overrides: Partial<NodeView> = {}): NodeView {
  const node: Omit<NodeView, 'modelKeys'> = {
    id,
    name: id,
    runtimeKind: 'ollama',
    computeScore: 100,
    gpuScore: overrides.gpuScore ?? overrides.computeScore ?? 100,
    gpuCount: overrides.gpuCount ?? 1,
    gpuVramBytes: overrides.gpuVramBytes ?? 0,
    capacityShare: overrides.capacityShare ?? 1,
    slot: nextSlot++,
    inFlight: 0,
    runtimeBacklog: 0,
    othersAwaitingTokens: 0,
    maxConcurrency: 4,
    state: 'online',
    hasFreshMetrics: true,
    cpuPct: 10,
    memoryPct: 10,
    gpuUtilPct: 10,
    gpuMemoryPct: 10,
    models: new Set(['llama3.1:8b']),
    coolingDownUntilMs: null,
    ...overrides,
  }
  return { ...node, modelKeys: overrides.modelKeys ?? modelKeySet(node.runtimeKind, node.models) }
}

/** A finished answer of `model` on `slot` that reported nothing yet: spread it and set what a test needs. */
export function emptySample(slot: number, model: string, gpuScore: number): CompletionSample {
  return {
    slot,
    model,
    gpuScore,
    gpuCount: 1,
    gpuVramBytes: 0,
    concurrency: 1,
    decodeTokens: null,
    decodeSeconds: null,
    prefillTokens: null,
    prefillSeconds: null,
    loadSeconds: null,
    outputTokens: null,
  }
}

export function makeRequest(overrides: Partial<SelectRequest> = {}): SelectRequest {
  return { apiKind: 'openai', now: NOW, exclude: new Set(), ...overrides }
}

/** A state that never draws random numbers unless a strategy asks; then a fixed sequence. */
export function makeState(mode: BalancerMode): BalancerState {
  let seed = 1
  return createBalancerState(
    () => {
      seed = (seed * 16_807) % 2_147_483_647
      return (seed - 1) / 2_147_483_646
    },
    { mode },
  )
}

export function selectedId(selection: Selection): string {
  if (selection.kind !== 'selected') throw new Error(`expected a selection, got none (${selection.cause})`)
  return selection.node.id
}

/** Runs `count` decisions against the same nodes and returns how many each node got. */
export function spread(
  nodes: readonly NodeView[],
  state: BalancerState,
  count: number,
  request: SelectRequest = makeRequest(),
): Record<string, number> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const id = selectedId(select(nodes, request, state))
    counts[id] = (counts[id] ?? 0) + 1
  }
  return counts
}

/**
 * Sends `count` requests, each holding its slot (the chosen node's in-flight grows), the way the
 * proxy's leases do; returns a label per pick, the node id unless `label` says otherwise.
 */
export function holdSlots(
  nodes: NodeView[],
  state: BalancerState,
  count: number,
  label: (selection: Extract<Selection, { kind: 'selected' }>) => string = (selection) => selection.node.id,
): string[] {
  const picked: string[] = []
  for (let i = 0; i < count; i++) {
    const selection = select(nodes, makeRequest(), state)
    if (selection.kind !== 'selected') throw new Error('expected a selection')
    picked.push(label(selection))
    const index = nodes.indexOf(selection.node)
    nodes[index] = { ...selection.node, inFlight: selection.node.inFlight + 1 }
  }
  return picked
}

export function describeStrategyContract(mode: BalancerMode): void {
  describe(`${mode}: the strategy contract`, () => {
    const ineligible = [
      makeNode('stale', { state: 'stale', computeScore: 9_000 }),
      makeNode('draining', { state: 'draining', computeScore: 9_000 }),
      makeNode('excluded', { computeScore: 9_000 }),
      makeNode('cooling', { computeScore: 9_000, coolingDownUntilMs: NOW + 1 }),
    ]
    const request = makeRequest({ exclude: new Set(['excluded']) })

    it('never picks a stale, draining, excluded or cooling-down node', () => {
      const nodes = [...ineligible, makeNode('a'), makeNode('b', { computeScore: 50, cpuPct: 5 })]
      const state = makeState(mode)
      for (let i = 0; i < 20; i++) expect(['a', 'b']).toContain(selectedId(select(nodes, request, state)))
    })

    it('picks a node again once its cool-down has passed', () => {
      const nodes = [makeNode('cooled', { coolingDownUntilMs: NOW })]
      expect(selectedId(select(nodes, makeRequest(), makeState(mode)))).toBe('cooled')
    })

    it('only picks nodes that serve the requested model', () => {
      const nodes = [
        makeNode('llama', { computeScore: 50 }),
        makeNode('qwen', { computeScore: 900, models: new Set(['qwen2.5:32b']) }),
      ]
      const state = makeState(mode)
      for (let i = 0; i < 10; i++) {
        expect(selectedId(select(nodes, makeRequest({ model: 'llama3.1:8b' }), state))).toBe('llama')
      }
    })

    it('ignores the model when no eligible node lists any model', () => {
      const nodes = [makeNode('quiet', { models: new Set() })]
      expect(selectedId(select(nodes, makeRequest({ model: 'anything' }), makeState(mode)))).toBe('quiet')
    })

    it('sends Ollama API requests only to Ollama nodes, OpenAI requests to both kinds', () => {
      const nodes = [makeNode('vllm', { runtimeKind: 'openai', computeScore: 900 }), makeNode('ollama')]
      const state = makeState(mode)
      for (let i = 0; i < 10; i++) {
        expect(selectedId(select(nodes, makeRequest({ apiKind: 'ollama' }), state))).toBe('ollama')
      }
      // Each kind alone takes an OpenAI request: neither is filtered out.
      for (const alone of nodes) {
        expect(selectedId(select([alone], makeRequest({ apiKind: 'openai' }), makeState(mode)))).toBe(
          alone.id,
        )
      }
      expect(select([nodes[0] as NodeView], makeRequest({ apiKind: 'ollama' }), state)).toEqual({
        kind: 'none',
        cause: 'none-online',
      })
    })

    it.each([
      ['none-online', 'no node at all', [], makeRequest()],
      ['none-online', 'only ineligible nodes', ineligible.slice(0, 3), request],
      [
        'model-not-served',
        'online nodes that do not serve the model',
        [makeNode('a')],
        makeRequest({ model: 'qwen2.5:32b' }),
      ],
      [
        'all-cooling-down',
        'the only servers of the model cooling down',
        [makeNode('a', { coolingDownUntilMs: NOW + 5_000 }), makeNode('b', { models: new Set(['other']) })],
        makeRequest({ model: 'llama3.1:8b' }),
      ],
      ['all-cooling-down', 'every node cooling down', [ineligible[3] as NodeView], makeRequest()],
    ] as const)('returns none (%s) for %s', (cause, _what, nodes, req) => {
      expect(select(nodes, req, makeState(mode))).toEqual({ kind: 'none', cause })
    })

    it('is deterministic: the same nodes and state give the same decisions', () => {
      const nodes = [
        makeNode('a', { computeScore: 300, inFlight: 4 }),
        makeNode('b', { computeScore: 200 }),
        makeNode('c', { computeScore: 200, cpuPct: 95 }),
        makeNode('d', { computeScore: 100, hasFreshMetrics: false, cpuPct: null }),
      ]
      const run = () => {
        const state = makeState(mode)
        return Array.from({ length: 12 }, () => select(nodes, makeRequest(), state))
      }
      expect(run()).toEqual(run())
    })

    it('does not mutate the nodes or the request', () => {
      const nodes = Object.freeze([
        Object.freeze(makeNode('a', { computeScore: 300 })),
        Object.freeze(makeNode('b', { computeScore: 300, inFlight: 4 })),
      ])
      const before = structuredClone(nodes)
      const req = makeRequest({ model: 'llama3.1:8b', exclude: new Set(['x']) })
      const state = makeState(mode)
      for (let i = 0; i < 5; i++) select(nodes, req, state)
      expect(nodes).toEqual(before)
      expect([...req.exclude]).toEqual(['x'])
    })

    it('returns a node of the input array, with a reason', () => {
      const nodes = [makeNode('a'), makeNode('b')]
      const selection = select(nodes, makeRequest(), makeState(mode))
      if (selection.kind !== 'selected') throw new Error('expected a selection')
      expect(nodes).toContain(selection.node)
      expect(typeof selection.reason.kind).toBe('string')
    })
  })
}
