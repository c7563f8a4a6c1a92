/**
 * ModelHealth: failure streaks and cool-downs per node AND model. A runtime that answers 500 for one
 * model (a broken model file, a model that fails to load) is taken out of rotation for that model only,
 * and only on evidence that the runtime, not the request, is at fault (see docs/reliability.md, "Who
 * is to blame"). Node-wide trouble (refused connections, timeouts) stays the registry's node streak.
 */

export interface ModelHealthOptions {
  /** Failures in a row that start a cool-down (`coolDownFailures`). */
  readonly failures: number
  /** Cool-down length (`COOL_DOWN_MS`). */
  readonly coolDownMs: number
}

export class ModelHealth {
  readonly #options: ModelHealthOptions
  /** `nodeId \n model` → failures in a row. An entry exists only while a streak is running. */
  readonly #streaks = new Map<string, number>()
  /** model → nodeId → cool-down end (ms). An entry exists only while some node cools for the model. */
  readonly #coolDowns = new Map<string, Map<string, number>>()

  constructor(options: ModelHealthOptions) {
    this.#options = options
  }

  /** Counts a failure; returns the cool-down's end when this failure starts one, else null. */
  reportFailure(nodeId: string, model: string, now: number): number | null {
    if (this.#coolingUntil(nodeId, model, now) !== null) return null
    const key = `${nodeId}\n${model}`
    const streak = (this.#streaks.get(key) ?? 0) + 1
    if (streak < this.#options.failures) {
      this.#streaks.set(key, streak)
      return null
    }
    this.#streaks.delete(key)
    const until = now + this.#options.coolDownMs
    let nodes = this.#coolDowns.get(model)
    if (nodes === undefined) {
      nodes = new Map()
      this.#coolDowns.set(model, nodes)
    }
    nodes.set(nodeId, until)
    return until
  }

  reportSuccess(nodeId: string, model: string): void {
    if (this.#streaks.size > 0) this.#streaks.delete(`${nodeId}\n${model}`)
  }

  /**
   * Nodes cooling down for `model` now; null when none (the common case costs one Map lookup). Ended
   * cool-downs are dropped here, so the map only holds live ones.
   */
  coolingNodes(model: string, now: number): ReadonlySet<string> | null {
    const nodes = this.#coolDowns.get(model)
    if (nodes === undefined) return null
    const cooling = new Set<string>()
    for (const [nodeId, until] of nodes) {
      if (until > now) cooling.add(nodeId)
      else nodes.delete(nodeId)
    }
    if (nodes.size === 0) this.#coolDowns.delete(model)
    return cooling.size === 0 ? null : cooling
  }

  /** The models `nodeId` cools down for now, with their ends (for `GET /api/agents`). */
  coolingModels(nodeId: string, now: number): Record<string, number> {
    const result: Record<string, number> = {}
    for (const [model, nodes] of this.#coolDowns) {
      const until = nodes.get(nodeId)
      if (until !== undefined && until > now) result[model] = until
    }
    return result
  }

  /** Forgets a removed node, so that nothing of it stays behind. */
  forgetNode(nodeId: string): void {
    const prefix = `${nodeId}\n`
    for (const key of this.#streaks.keys()) if (key.startsWith(prefix)) this.#streaks.delete(key)
    for (const [model, nodes] of this.#coolDowns) {
      nodes.delete(nodeId)
      if (nodes.size === 0) this.#coolDowns.delete(model)
    }
  }

  /** Entries held (streaks plus cool-downs): 0 once every node with trouble is gone. */
  get size(): number {
    let size = this.#streaks.size
    for (const nodes of this.#coolDowns.values()) size += nodes.size
    return size
  }

  #coolingUntil(nodeId: string, model: string, now: number): number | null {
    const until = this.#coolDowns.get(model)?.get(nodeId)
    return until !== undefined && until > now ? until : null
  }
}
