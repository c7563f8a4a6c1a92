/** Everything a route of one mock runtime instance needs, passed explicitly (no module state). */
import type { FaultDirective, FaultState } from './fault-state.js'
import type { GenerationScheduler } from './generation-scheduler.js'
import { type ModelInfo, resolveModel } from './model-catalog.js'
import type { GpuProfile } from './profiles.js'
import type { PromptGate } from './prompt-gate.js'
import type { ResidencyGate } from './residency-gate.js'
import type { RuntimeCounters } from './runtime-stats.js'

/** Which API family a runtime speaks: Ollama (native and `/v1`) or OpenAI only (like vLLM). */
export type RuntimeKind = 'ollama' | 'openai'
export const RUNTIME_KINDS = ['ollama', 'openai'] as const satisfies readonly RuntimeKind[]

export interface RuntimeContext {
  readonly kind: RuntimeKind
  readonly name: string
  /** The speed-scaled profile. */
  readonly profile: GpuProfile
  readonly models: ReadonlyMap<string, ModelInfo>
  readonly scheduler: GenerationScheduler
  readonly counters: RuntimeCounters
  readonly faults: FaultState
  /** When the runtime started (ms since the epoch), for `created` fields. */
  readonly startedAtMs: number
  /** Model residency (loads, eviction, `/api/ps`); undefined: every model is always loaded. */
  readonly residency?: ResidencyGate | undefined
  /** Load wait, prefix cache and prefill time per prompt; undefined: fixed TTFT, nothing modelled. */
  readonly prompts?: PromptGate | undefined
}

/**
 * The served model a request names: vLLM compares the served name exactly
 * (vllm/entrypoints/openai/serving_engine.py `_check_model`); Ollama, native API or `/v1`, resolves
 * every spelling of a name (`resolveModel`).
 */
export function servedModel(context: RuntimeContext, name: string): ModelInfo | undefined {
  return context.kind === 'ollama' ? resolveModel(context.models, name) : context.models.get(name)
}

/** One API request: the context plus the fault this request meets. */
export interface ApiRequest {
  readonly context: RuntimeContext
  readonly fault: FaultDirective
  readonly body: unknown
}
