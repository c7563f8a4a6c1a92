/** Fault injection: which failure the next requests meet, for tests of the coordinator's failover. */
import { z } from 'zod'

/**
 * - `ok`: normal service.
 * - `refuse`: the listening socket is closed, so connections are refused (ECONNREFUSED), as with a dead
 *   runtime. Cleared only through the control port or the programmatic API (the main port is gone).
 * - `503`: answers 503 in the runtime's error shape.
 * - `die-mid-stream`: destroys the socket once `afterChunks` tokens were generated (default 1).
 * - `stall`: sends the headers and `afterChunks` tokens (default 0), then nothing, until the client leaves.
 * - `garbage`: a 200 whose body is invalid JSON / broken SSE.
 * - `error-mid-stream`: after `afterChunks` tokens (default 1) the runtime reports an error inside the
 *   stream and ends it cleanly: Ollama an NDJSON `{"error": …}` line (server/routes.go
 *   `streamResponse`), vLLM an SSE `data: {"error": {…}}` event then `data: [DONE]`
 *   (vllm/entrypoints/openai/serving_chat.py `create_streaming_error_response`). A non-streamed request
 *   gets a 500 in the API's error shape.
 * - `load-failed`: generation routes answer 500 as a runtime whose model failed to load (Ollama:
 *   `llama runner process has terminated`).
 * - `loading`: every route, `/metrics` and `/v1/models` included, answers llama-server's 503
 *   `Loading model` (tools/server/server-http.cpp `middleware_server_state`).
 */
export const FAULT_MODES = [
  'ok',
  'refuse',
  '503',
  'die-mid-stream',
  'stall',
  'garbage',
  'error-mid-stream',
  'load-failed',
  'loading',
] as const
export type FaultMode = (typeof FAULT_MODES)[number]

/** Body of `POST /_mock/faults`, and the fault a runtime starts with. */
export const FaultSettings = z.strictObject({
  /** The failure to inject. */
  mode: z.enum(FAULT_MODES),
  /** For `die-mid-stream` and `stall`: tokens generated before the fault strikes. */
  afterChunks: z.int().min(0).optional(),
  /** How many requests the fault applies to; unlimited when absent. Ignored by `refuse`. */
  count: z.int().min(1).optional(),
})
export type FaultSettings = z.infer<typeof FaultSettings>

/** The fault one request meets. */
export interface FaultDirective {
  readonly mode: Exclude<FaultMode, 'refuse'>
  readonly afterChunks: number
}

const DEFAULT_AFTER_CHUNKS: Readonly<Record<FaultMode, number>> = {
  ok: 0,
  refuse: 0,
  '503': 0,
  'die-mid-stream': 1,
  stall: 0,
  garbage: 0,
  'error-mid-stream': 1,
  'load-failed': 0,
  loading: 0,
}

const OK: FaultDirective = { mode: 'ok', afterChunks: 0 }

/** The current fault and how many more requests it applies to. */
export class FaultState {
  #settings: FaultSettings = { mode: 'ok' }
  #remaining = Number.POSITIVE_INFINITY

  get settings(): FaultSettings {
    return this.#settings
  }

  /** Remaining requests the fault applies to (`null` when unlimited). */
  get remaining(): number | null {
    return Number.isFinite(this.#remaining) ? this.#remaining : null
  }

  set(settings: FaultSettings): void {
    this.#settings = settings
    this.#remaining = settings.count ?? Number.POSITIVE_INFINITY
  }

  /** The fault for the next request, consuming one of `count`; back to `ok` once it is used up. */
  take(): FaultDirective {
    const { mode } = this.#settings
    if (mode === 'ok' || mode === 'refuse') return OK
    this.#remaining--
    const directive: FaultDirective = {
      mode,
      afterChunks: this.#settings.afterChunks ?? DEFAULT_AFTER_CHUNKS[mode],
    }
    if (this.#remaining <= 0) this.set({ mode: 'ok' })
    return directive
  }
}
