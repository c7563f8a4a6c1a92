/**
 * NodeModels: the models each node serves, in the shape the balancer matches them in. Nodes with the
 * same list share one Set (see `ModelSets`), and an Ollama node's list is also kept in Ollama's normal
 * form (`NodeView.modelKeys`), so another spelling of a model it serves still matches.
 */
import { ollamaModelKey } from '../core/model-name.js'
import { ModelSets } from './model-sets.js'
import type { NodeRecord } from './node-record.js'

export class NodeModels {
  /** Nodes serving the same models share one Set: `select` checks each distinct Set once per call. */
  readonly #modelSets = new ModelSets()
  /** Ollama nodes' normal forms, in a table of their own: a Set is never shared by two kinds of node. */
  readonly #ollamaKeySets = new ModelSets()

  /** Gives the record these models, as its registration or a push lists them. */
  set(record: NodeRecord, models: readonly string[]): void {
    record.models = this.#modelSets.intern(models)
    record.modelKeys =
      record.registration.runtime.kind === 'ollama'
        ? this.#ollamaKeySets.intern(models.map(ollamaModelKey))
        : record.models
  }

  /** Like `set`, but leaves the record alone when it already has exactly these models. */
  update(record: NodeRecord, models: readonly string[]): void {
    if (!sameModels(record.models, models)) this.set(record, models)
  }

  /**
   * Takes `model` off the record's list, in every spelling its runtime takes for it (an Ollama node
   * matches names as Ollama does). False when the list does not name it.
   */
  drop(record: NodeRecord, model: string): boolean {
    const isOllama = record.registration.runtime.kind === 'ollama'
    const key = isOllama ? ollamaModelKey(model) : model
    if (!record.modelKeys.has(key)) return false
    const kept = [...record.models].filter((name) => (isOllama ? ollamaModelKey(name) : name) !== key)
    this.set(record, kept)
    return true
  }
}

function sameModels(current: ReadonlySet<string>, next: readonly string[]): boolean {
  if (current.size !== next.length) return false
  for (const model of next) if (!current.has(model)) return false
  return true
}
