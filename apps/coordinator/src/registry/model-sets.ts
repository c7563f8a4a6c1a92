/**
 * ModelSets: one shared, read-only Set per distinct model list. A fleet runs a handful of model lists
 * across thousands of nodes, so sharing keeps the `NodeView`s' model Sets few and hot in cache, and lets
 * `select` reuse its verdict for a Set it has just checked instead of hashing the model again per node.
 */

/** Distinct lists kept before the table starts over (views keep their Sets; only sharing resets). */
const MAX_DISTINCT_LISTS = 4_096

export class ModelSets {
  readonly #byKey = new Map<string, ReadonlySet<string>>()

  /** The shared Set for these models, in any order and with duplicates ignored. */
  intern(models: readonly string[]): ReadonlySet<string> {
    // Sorted, so the same models pushed in another order share one Set. Each name is prefixed with '\n'
    // (never part of a model name), so the empty list and a list of one empty name differ.
    const key =
      models.length === 1
        ? `\n${models[0]}`
        : [...new Set(models)]
            .sort()
            .map((name) => `\n${name}`)
            .join('')
    const shared = this.#byKey.get(key)
    if (shared !== undefined) return shared
    if (this.#byKey.size >= MAX_DISTINCT_LISTS) this.#byKey.clear()
    const created: ReadonlySet<string> = new Set(models)
    this.#byKey.set(key, created)
    return created
  }
}
