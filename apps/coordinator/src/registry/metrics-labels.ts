/**
 * The `node` label of each held node's metrics series. A node's name is its hostname, and one host
 * running two runtimes registers two nodes of one name: two series with one label set collide, and
 * Prometheus keeps one of them. So a node's label is its name while no other held node has that name
 * (or label), else `name@id`, fixed for the node's life.
 */
export class MetricsLabels {
  /** name → the ids of the held nodes that have it. */
  readonly #idsByName = new Map<string, Set<string>>()
  readonly #taken = new Set<string>()

  /** The id of a held node with this name, if any. */
  namesakeOf(name: string): string | undefined {
    for (const id of this.#idsByName.get(name) ?? []) return id
    return undefined
  }

  /** The label a new node would get with this id; null when it is taken (draw another id). */
  labelFor(name: string, id: string): string | null {
    const label = this.#idsByName.has(name) || this.#taken.has(name) ? `${name}@${id}` : name
    return this.#taken.has(label) ? null : label
  }

  /** A node took `label` (from `labelFor`) as it registered. */
  hold(name: string, id: string, label: string): void {
    const ids = this.#idsByName.get(name)
    if (ids === undefined) this.#idsByName.set(name, new Set([id]))
    else ids.add(id)
    this.#taken.add(label)
  }

  /** The node left: its name and label are free again. */
  release(name: string, id: string, label: string): void {
    const ids = this.#idsByName.get(name)
    ids?.delete(id)
    if (ids?.size === 0) this.#idsByName.delete(name)
    this.#taken.delete(label)
  }
}
