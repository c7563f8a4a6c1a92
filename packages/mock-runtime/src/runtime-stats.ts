/** Counters served at `GET /_mock/stats`. */

/** A snapshot of a runtime's counters. */
export interface RuntimeStats {
  /** Requests holding a slot (prefilling or decoding) now. */
  active: number
  /** Requests waiting for a slot now. */
  queued: number
  /** Most generations held at once (active plus queued) since start or the last reset. */
  peak: number
  /** Requests received on the runtime's API routes (control routes excluded). */
  requests: number
  /** Generations that ran to the end. */
  completed: number
  /** Generations stopped because the client disconnected. */
  aborted: number
  /** Requests that met an injected fault. */
  faulted: number
  /** Tokens generated and sent to clients. */
  totalTokens: number
  /** With residency or a prefix cache (prompt-gate.ts): what the prompts met. */
  prompts?: PromptTotals
}

/** Since the start: prompts admitted, their tokens, the part found in the prefix cache, load waits. */
export interface PromptTotals {
  admitted: number
  promptTokens: number
  cachedTokens: number
  /** Prompts that waited for their model to load (load_duration > 0), whether or not they started the load. */
  coldLoads: number
}

/** The cumulative counters (active and queued come from the scheduler). */
export class RuntimeCounters {
  requests = 0
  completed = 0
  aborted = 0
  faulted = 0
  totalTokens = 0

  reset(): void {
    this.requests = 0
    this.completed = 0
    this.aborted = 0
    this.faulted = 0
    this.totalTokens = 0
  }
}
