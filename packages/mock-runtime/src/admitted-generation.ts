/**
 * The one path by which the Ollama and the OpenAI handlers generate: wait for the prompt gate (the model
 * loaded, the uncached prefill priced), then run the generation, and hand the cache the finished turn.
 */
import type { ServerResponse } from 'node:http'
import type { FaultDirective } from './fault-state.js'
import { type GenerationRenderer, runGeneration, runnerFor } from './generation-response.js'
import { answerText } from './output-length.js'
import type { PromptAdmission } from './prompt-gate.js'
import { type RuntimeContext, servedModel } from './runtime-context.js'

/** What one request asks to generate. */
export interface GenerationRequest {
  readonly model: string
  readonly prompt: string
  /**
   * Picks the answer's text, which the prefix cache stores for the next turn: `hashString(prompt)`, or
   * `hashBytes(audio)` for a speech-to-text upload.
   */
  readonly seed: number
  readonly outputTokens: number
  readonly fault: FaultDirective
}

/**
 * Runs `renderer`'s generation once the runtime's prompt gate admits the prompt, or at once on a runtime
 * without one. `onAdmitted` sees the admission before the first byte (its timings feed the answer). The
 * gate's hold lasts until the response closes; only a complete answer is cached as the next prefix.
 */
export function runAdmittedGeneration(
  context: RuntimeContext,
  response: ServerResponse,
  renderer: GenerationRenderer,
  generation: GenerationRequest,
  onAdmitted?: (admitted: PromptAdmission) => void,
): void {
  const { outputTokens } = generation
  // A mock Ollama answers to every spelling of a model's name: one runner, one cache.
  const model = servedModel(context, generation.model)
  const runner = runnerFor(context.kind, model?.name ?? generation.model)
  const start = (prefillMs?: number) =>
    runGeneration(response, renderer, {
      scheduler: context.scheduler,
      counters: context.counters,
      fault: generation.fault,
      outputTokens,
      ...(prefillMs === undefined ? {} : { prefillMs }),
      ...runner,
    })
  const gate = context.prompts
  if (gate === undefined || model === undefined) {
    start()
    return
  }
  void gate.admit(model, generation.prompt).then((admitted) => {
    onAdmitted?.(admitted)
    response.once('close', () => {
      if (response.writableFinished) admitted.answered(answerText(generation.seed, outputTokens))
      admitted.release()
    })
    if (response.destroyed) admitted.release()
    else start(admitted.prefillMs)
  })
}
