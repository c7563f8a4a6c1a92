/** What the mock says about its models: Ollama-style details derived from the model name. */
import { createHash } from 'node:crypto'

/** Ollama's model details object (`/api/tags`, `/api/ps`, `/api/show`). */
export interface OllamaModelDetails {
  parent_model: string
  format: string
  family: string
  families: string[]
  parameter_size: string
  quantization_level: string
}

/** One served model as the runtime describes it. */
export interface ModelInfo {
  readonly name: string
  readonly digest: string
  readonly sizeBytes: number
  readonly details: OllamaModelDetails
}

/**
 * Context length the mock gives a model it knows nothing more about, tokens: what it reports as Ollama's
 * `<family>.context_length` and uses as vLLM's `max_model_len`.
 */
export const CONTEXT_LENGTH_TOKENS = 131_072

// Q4_K_M stores about 4.85 bits per weight, i.e. ~0.6 bytes per parameter.
const BYTES_PER_PARAMETER = 0.6
const DEFAULT_PARAMETERS_BILLIONS = 7

/** Describes `name` (e.g. `llama3.1:8b`): family from the name, size from a `<n>b` tag. */
export function describeModel(name: string): ModelInfo {
  const [base = name, tag = 'latest'] = name.split(':')
  const sizeMatch = /(\d+(?:\.\d+)?)b/i.exec(tag) ?? /(\d+(?:\.\d+)?)b/i.exec(base)
  const parametersBillions = sizeMatch?.[1] === undefined ? DEFAULT_PARAMETERS_BILLIONS : Number(sizeMatch[1])
  const family = /^[a-z]+/i.exec(base)?.[0]?.toLowerCase() ?? 'llama'
  return {
    name,
    digest: createHash('sha256').update(name).digest('hex'),
    sizeBytes: Math.round(parametersBillions * 1e9 * BYTES_PER_PARAMETER),
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: [family],
      parameter_size: `${parametersBillions.toFixed(1)}B`,
      quantization_level: 'Q4_K_M',
    },
  }
}

/**
 * The served model a request names, or undefined. Like Ollama (ollama/ollama `types/model/name.go`:
 * `ParseName` fills `registry.ollama.ai/library/…:latest`, `EqualFold` compares), names match
 * case-insensitively and a name without a tag means `:latest`.
 */
export function resolveModel(
  models: ReadonlyMap<string, ModelInfo>,
  requested: string,
): ModelInfo | undefined {
  const exact = models.get(requested)
  if (exact !== undefined) return exact
  const wanted = canonicalName(requested)
  for (const [name, info] of models) if (canonicalName(name) === wanted) return info
  return undefined
}

/** `Library/Llama3.1` → `registry.ollama.ai/library/llama3.1:latest`. */
function canonicalName(name: string): string {
  const hasTag = name.lastIndexOf(':') > name.lastIndexOf('/')
  const tagged = hasTag ? name : `${name}:latest`
  const slashes = tagged.split('/').length - 1
  const qualified =
    slashes === 0
      ? `registry.ollama.ai/library/${tagged}`
      : slashes === 1
        ? `registry.ollama.ai/${tagged}`
        : tagged
  return qualified.toLowerCase()
}
