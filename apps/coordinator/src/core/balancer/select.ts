/**
 * `select`: the one entry point of the balancer. It applies the filters every mode shares, works out
 * why nothing is left when nothing is, and hands the candidates to the mode's strategy.
 *
 * Filters, in order: state `online` (not stale, not draining); not already tried for this request
 * (`exclude`); a runtime that speaks the request's API (Ollama serves `/v1/*` too, so OpenAI requests
 * may go to Ollama nodes but not the reverse); the model, when the request names one and any eligible
 * node lists models (a fleet that reports no models at all is not filtered); not cooling down.
 */
import { ollamaModelKey } from '../model-name.js'
import type { NodeView } from '../node-view.js'
import type { NoCandidateCause, Selection } from './selection.js'
import { STRATEGIES } from './strategies.js'
import type { BalancerState, SelectRequest } from './strategy.js'

/**
 * Picks the node for one request. Pure apart from advancing the cursors in `state` (and reusing its
 * scratch buffer); never mutates
 * `nodes`; O(n) in the number of nodes.
 *
 * @example
 * const selection = select(registry.snapshot(), { model: 'llama3.1:8b', apiKind: 'openai', now, exclude }, state)
 * if (selection.kind === 'selected') forward(selection.node) // else map selection.cause to 404/503
 */
export function select(nodes: readonly NodeView[], request: SelectRequest, state: BalancerState): Selection {
  const candidates = state.candidateBuffer
  const model = request.model
  // Ollama nodes match by Ollama's normal form (case-insensitive, `:latest` implied), others exactly.
  // Computed at most once per call, and only when an Ollama node is met without the request's key.
  let ollamaKey = request.ollamaModelKey
  const now = request.now
  const isOllamaOnly = request.apiKind === 'ollama'
  const exclude = request.exclude.size > 0 ? request.exclude : null
  let count = 0
  let eligible = 0
  let anyListsModels = false
  let coolingServers = 0
  // The registry shares one Set per distinct model list, so consecutive nodes often hold the very same
  // Set: remembering the last verdict skips the hash lookup (the dominant per-node cost: a builtin call
  // per node) for them. Any other Set is still looked up, so the result never depends on sharing.
  let lastModels: ReadonlySet<string> | null = null
  let lastServes = false
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as NodeView
    if (node.state !== 'online') continue
    if (isOllamaOnly && node.runtimeKind !== 'ollama') continue
    if (exclude?.has(node.id)) continue
    eligible++
    const models = node.modelKeys
    if (models !== lastModels) {
      lastModels = models
      if (models.size > 0) anyListsModels = true
      if (model === undefined) lastServes = true
      else if (node.runtimeKind === 'ollama') {
        ollamaKey ??= ollamaModelKey(model)
        lastServes = models.has(ollamaKey)
      } else lastServes = models.has(model)
    }
    if (!lastServes) continue
    const coolingDownUntilMs = node.coolingDownUntilMs
    if (coolingDownUntilMs !== null && coolingDownUntilMs > now) coolingServers++
    else candidates[count++] = node
  }

  // No eligible node lists any model (runtimes that do not report them): the filter would reject
  // everything, so it does not apply. Rare enough that a second pass costs nothing overall.
  if (count === 0 && model !== undefined && eligible > 0 && !anyListsModels) {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as NodeView
      if (!isEligible(node, request, exclude)) continue
      if (node.coolingDownUntilMs !== null && node.coolingDownUntilMs > now) coolingServers++
      else candidates[count++] = node
    }
  }

  // Trim leftovers of a larger earlier call; the buffer keeps no reference to this call's nodes beyond it.
  if (candidates.length !== count) candidates.length = count
  if (count === 0) return { kind: 'none', cause: noneCause(eligible, coolingServers) }
  return STRATEGIES[state.mode](candidates, request, state)
}

function isEligible(node: NodeView, request: SelectRequest, exclude: ReadonlySet<string> | null): boolean {
  if (node.state !== 'online') return false
  if (request.apiKind === 'ollama' && node.runtimeKind !== 'ollama') return false
  return exclude?.has(node.id) !== true
}

function noneCause(eligible: number, coolingServers: number): NoCandidateCause {
  if (eligible === 0) return 'none-online'
  if (coolingServers > 0) return 'all-cooling-down'
  return 'model-not-served'
}
