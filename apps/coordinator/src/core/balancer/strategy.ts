/** The shape every balancing strategy shares, and the inputs `select` takes besides the nodes. */
import type { RuntimeKind } from '@llm-fleet/types'
import type { NodeView } from '../node-view.js'
import type { Selection } from './selection.js'

/** The API family a client spoke: OpenAI requests may go to Ollama nodes too (Ollama serves /v1/*). */
export type ApiKind = RuntimeKind

export interface SelectRequest {
  /** The model the request names; absent for requests that do not name one. */
  readonly model?: string | undefined
  readonly apiKind: ApiKind
  /** Milliseconds since the epoch; time is an input, never read inside `core/`. */
  readonly now: number
  /** Nodes already tried for this request (failover). */
  readonly exclude: ReadonlySet<string>
}

/** The mutable part of balancing, owned by the caller: round-robin cursors and the random source. */
export interface BalancerState {
  /** Rotating cursors, keyed by the set they rotate over (a tier, the all-busy set, …). */
  readonly cursors: Map<string, number>
  /** Uniform in [0, 1); injected so that simulations are seeded and deterministic. */
  readonly random: () => number
}

export function createBalancerState(random: () => number): BalancerState {
  return { cursors: new Map(), random }
}

/** A strategy picks among candidates that already passed the common filters (state, kind, model, exclude). */
export type Strategy = (
  candidates: readonly NodeView[],
  request: SelectRequest,
  state: BalancerState,
) => Selection
