/**
 * Reads what a runtime says about a finished answer from the tail of its body, without parsing the
 * stream: Ollama's final object (`done: true` with `load_duration`, `prompt_eval_count`,
 * `prompt_eval_duration`, `eval_count`, `eval_duration`, all durations in ns; ollama/ollama
 * api/types.go `Metrics`, written last in both streamed and unstreamed answers), or an OpenAI-style
 * `usage` object (vLLM, llama.cpp server, Ollama's /v1: `prompt_tokens`, `completion_tokens`,
 * `prompt_tokens_details.cached_tokens`; in a stream only with `stream_options.include_usage`, in the
 * last chunk before `[DONE]`). The tail holds the last few KiB, so a number is looked up by its key's
 * last occurrence: the final object is the last thing written.
 */

export interface OllamaUsage {
  readonly kind: 'ollama'
  readonly totalNs: number | null
  readonly loadNs: number | null
  readonly promptEvalCount: number | null
  readonly promptEvalNs: number | null
  readonly evalCount: number | null
  readonly evalNs: number | null
}

export interface OpenAiUsage {
  readonly kind: 'openai'
  readonly promptTokens: number
  readonly completionTokens: number
  /** `prompt_tokens_details.cached_tokens`; null where the answer has none (vLLM leaves out a 0). */
  readonly cachedTokens: number | null
}

export type RuntimeUsage = OllamaUsage | OpenAiUsage

/** The usage in `tail` (latin1 text of the body's last bytes), or null when it carries none. */
export function parseRuntimeUsage(tail: string): RuntimeUsage | null {
  const evalNs = lastNumber(tail, '"eval_duration":')
  const evalCount = lastNumber(tail, '"eval_count":')
  const promptEvalNs = lastNumber(tail, '"prompt_eval_duration":')
  if (evalNs !== null || evalCount !== null || promptEvalNs !== null) {
    return {
      kind: 'ollama',
      totalNs: lastNumber(tail, '"total_duration":'),
      loadNs: lastNumber(tail, '"load_duration":'),
      promptEvalCount: lastNumber(tail, '"prompt_eval_count":'),
      promptEvalNs,
      evalCount,
      evalNs,
    }
  }
  const usageAt = tail.lastIndexOf('"usage":')
  if (usageAt < 0) return null
  const usage = tail.slice(usageAt)
  const promptTokens = lastNumber(usage, '"prompt_tokens":')
  const completionTokens = lastNumber(usage, '"completion_tokens":')
  if (promptTokens === null || completionTokens === null) return null
  return {
    kind: 'openai',
    promptTokens,
    completionTokens,
    cachedTokens: lastNumber(usage, '"cached_tokens":'),
  }
}

/** The non-negative number after the last `key` (which includes its quotes and colon), else null. */
function lastNumber(text: string, key: string): number | null {
  const at = text.lastIndexOf(key)
  if (at < 0) return null
  let i = at + key.length
  while (text.charCodeAt(i) === 32) i++
  let value = 0
  let digits = 0
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 48 || code > 57) break
    value = value * 10 + (code - 48)
    digits++
  }
  return digits === 0 ? null : value
}
