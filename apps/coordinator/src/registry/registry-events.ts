/**
 * The registry's events: what each kind of listener is passed, and `Listeners`, which holds one
 * event's subscribers for the registry's `on…` methods (each hands out an unsubscribe function).
 */
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'

/** Passed to `onNodeRemoved` listeners (the proxy closes the node's connection pool). */
export interface RemovedNode {
  readonly id: string
  readonly runtimeUrl: string
  /** The slot it held (`NodeView.slot`); the next node may reuse it. */
  readonly slot: number
}

/** Passed to `onMetrics` listeners after a push is stored (the balancer learns what is loaded). */
export interface IngestedMetrics {
  readonly id: string
  readonly slot: number
  readonly metrics: AgentMetrics
  /** When the coordinator stored it (its clock). */
  readonly atMs: number
}

/** Passed to `onRegistered` listeners: the node as it registered (API key already taken out). */
export interface RegisteredNode {
  readonly id: string
  readonly slot: number
  readonly registration: AgentRegistration
}

/** The subscribers to one of the registry's events. */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>()

  /** How many are subscribed (an event nobody hears need not be scheduled). */
  get size(): number {
    return this.#listeners.size
  }

  /** Subscribes `listener`; returns a function that unsubscribes it. */
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Calls every listener with `value`, in the order they subscribed. */
  emit(value: T): void {
    for (const listener of this.#listeners) listener(value)
  }
}
