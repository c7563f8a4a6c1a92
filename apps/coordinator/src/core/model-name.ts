/**
 * Model names as each runtime matches them. Ollama parses a name into host, namespace, model and tag,
 * fills the missing parts with defaults (`registry.ollama.ai`, `library`, `latest`) and compares the
 * parts case-insensitively (ollama/ollama `types/model/name.go`: `ParseName`, `Merge`, `EqualFold`), so
 * `Llama3.1`, `llama3.1:latest` and `registry.ollama.ai/library/llama3.1:latest` are one model there.
 * OpenAI-compatible runtimes (vLLM, llama.cpp server, SGLang) compare the served name exactly.
 */
import type { RuntimeKind } from '@llm-fleet/types'

const DEFAULT_HOST = 'registry.ollama.ai'
const DEFAULT_NAMESPACE = 'library'
const DEFAULT_TAG = 'latest'
/** What `cutPromised` puts in a part left empty by a separator (`model:`): it never matches a real part. */
const MISSING_PART = '!missing!'

/**
 * PURE: the key under which an Ollama runtime finds `name`: `host/namespace/model:tag`, lower-cased,
 * defaults filled in. Two names with the same key are the same model to Ollama.
 * @example ollamaModelKey('Llama3.1') === 'registry.ollama.ai/library/llama3.1:latest'
 */
export function ollamaModelKey(name: string): string {
  let rest = name
  let tag = DEFAULT_TAG
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1) || MISSING_PART
    rest = rest.slice(0, colon)
  }
  let host = DEFAULT_HOST
  let namespace = DEFAULT_NAMESPACE
  let model = rest
  const modelSlash = rest.lastIndexOf('/')
  if (modelSlash !== -1) {
    model = rest.slice(modelSlash + 1) || MISSING_PART
    rest = rest.slice(0, modelSlash) || MISSING_PART
    const namespaceSlash = rest.lastIndexOf('/')
    if (namespaceSlash === -1) namespace = rest
    else {
      namespace = rest.slice(namespaceSlash + 1) || MISSING_PART
      host = rest.slice(0, namespaceSlash) || MISSING_PART
      const scheme = host.indexOf('://')
      if (scheme !== -1) host = host.slice(scheme + 3)
    }
  }
  return `${host}/${namespace}/${model}:${tag}`.toLowerCase()
}

/** PURE: the key a runtime of `kind` matches `name` by: Ollama's normal form, or the name itself. */
export function modelKeyFor(kind: RuntimeKind, name: string): string {
  return kind === 'ollama' ? ollamaModelKey(name) : name
}

/** PURE: whether `node` serves `model` as its runtime matches names (one lookup; for explain and labels). */
export function servesModel(
  node: { readonly runtimeKind: RuntimeKind; readonly modelKeys: ReadonlySet<string> },
  model: string,
): boolean {
  return node.modelKeys.has(modelKeyFor(node.runtimeKind, model))
}

/** PURE: a runtime's models as it matches them; `models` itself for exact matching. For tests and benches. */
export function modelKeySet(kind: RuntimeKind, models: ReadonlySet<string>): ReadonlySet<string> {
  return kind === 'ollama' ? new Set([...models].map(ollamaModelKey)) : models
}
