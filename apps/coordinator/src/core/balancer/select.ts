/**
 * `select`: the one entry point of the balancer. It applies the filters every mode shares, works out
 * why nothing is left when nothing is, and hands the candidates to the mode's strategy.
 *
 * Filters, in order: state `online` (not stale, not draining); not already tried for this request
 * (`exclude`); a runtime that speaks the request's API (Ollama serves `/v1/*` too, so OpenAI requests
 * may go to Ollama nodes but not the reverse); the model, when the request names one and any eligible
 * node lists models (a fleet that reports no models at all is not filtered); not cooling down.
 */
import type { NodeView } from '../node-view.js'
import { SERVES_EXACT, SERVES_OLLAMA, servesBits } from './model-verdicts.js'
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
  const now = request.now
  const isOllamaOnly = request.apiKind === 'ollama'
  const exclude = request.exclude.size > 0 ? request.exclude : null
  // Verdicts by position, remembered across calls (model-verdicts.ts): one pointer compare per node
  // where the Set there is the one seen last time, one lookup per matching where it is not.
  const verdicts =
    model === undefined ? null : state.modelVerdicts.tableFor(model, request.ollamaModelKey, nodes.length)
  let count = 0
  let eligible = 0
  let coolingServers = 0
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as NodeView
    if (node.state !== 'online') continue
    const isOllama = node.runtimeKind === 'ollama'
    if (isOllamaOnly && !isOllama) continue
    if (exclude?.has(node.id)) continue
    eligible++
    if (verdicts !== null) {
      const models = node.modelKeys
      if (verdicts.sets[i] !== models) {
        verdicts.sets[i] = models
        verdicts.serves[i] = servesBits(models, model as string, verdicts.ollamaKey)
      }
      if (((verdicts.serves[i] as number) & (isOllama ? SERVES_OLLAMA : SERVES_EXACT)) === 0) continue
    }
    const coolingDownUntilMs = node.coolingDownUntilMs
    if (coolingDownUntilMs !== null && coolingDownUntilMs > now) coolingServers++
    else candidates[count++] = node
  }

  // No eligible node lists any model (runtimes that do not report them): the filter would reject
  // everything, so it does not apply. Rare enough that the extra passes cost nothing overall.
  if (count === 0 && model !== undefined && eligible > 0 && !anyListsModels(nodes, request, exclude)) {
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

function anyListsModels(
  nodes: readonly NodeView[],
  request: SelectRequest,
  exclude: ReadonlySet<string> | null,
): boolean {
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as NodeView
    if (node.modelKeys.size > 0 && isEligible(node, request, exclude)) return true
  }
  return false
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
