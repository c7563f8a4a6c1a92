/**
 * The LLM runtime next to the agent: which API it speaks (Ollama answers `/api/version`, otherwise
 * OpenAI-compatible `/v1/models`), the models it serves and has loaded, and how many requests it is
 * working on by its own count (vLLM `/metrics`, llama.cpp server `/slots`).
 */
import type { RuntimeKind, RuntimeStatus } from '@llm-fleet/types'
import { MAX_MODEL_NAME_LENGTH, MAX_MODELS } from '@llm-fleet/types'
import { z } from 'zod'

/** A runtime on the same host answers in milliseconds; a slow probe must not delay the push. */
export const RUNTIME_PROBE_TIMEOUT_MS = 1500

export type RuntimeKindSetting = RuntimeKind | 'auto'

/** Where `activeRequests` comes from, found once on the first probe that answers. */
type ActiveRequestsSource = 'vllm-metrics' | 'llamacpp-slots' | 'none'

export interface RuntimeProbeResult {
  /** The detected (or configured) kind; null while an `auto` runtime has never answered. */
  kind: RuntimeKind | null
  status: RuntimeStatus
  activeRequests: number
}

const OllamaVersion = z.object({ version: z.string() })
const OllamaModelList = z.object({
  models: z
    .array(z.object({ name: z.string() }))
    .nullable()
    .optional(),
})
const OpenAiModelList = z.object({ data: z.array(z.object({ id: z.string() })) })
const LlamaCppSlots = z.array(
  z.object({ is_processing: z.boolean().optional(), state: z.number().optional() }).passthrough(),
)

type Fetch = typeof fetch

export interface RuntimeProbeOptions {
  url: string
  kind: RuntimeKindSetting
  fetch?: Fetch
  timeoutMs?: number
}

/** Keeps what was learned about the runtime between probes (its kind, where it counts requests). */
export class RuntimeProbe {
  readonly #url: string
  readonly #fetch: Fetch
  readonly #timeoutMs: number
  readonly #configuredKind: RuntimeKindSetting
  #detectedKind: RuntimeKind | null = null
  #activeSource: ActiveRequestsSource | undefined

  constructor(options: RuntimeProbeOptions) {
    this.#url = options.url.replace(/\/+$/, '')
    this.#fetch = options.fetch ?? fetch
    this.#timeoutMs = options.timeoutMs ?? RUNTIME_PROBE_TIMEOUT_MS
    this.#configuredKind = options.kind
  }

  /** The kind to register with: configured, detected, or null when unknown yet. */
  get kind(): RuntimeKind | null {
    return this.#configuredKind === 'auto' ? this.#detectedKind : this.#configuredKind
  }

  async probe(): Promise<RuntimeProbeResult> {
    const kind = this.#configuredKind === 'auto' ? await this.#detectKind() : this.#configuredKind
    const down: RuntimeProbeResult = {
      kind,
      status: { up: false, models: [], loadedModels: [] },
      activeRequests: 0,
    }
    if (kind === null) return down
    if (kind === 'ollama') {
      const tags = await this.#getJson('/api/tags', OllamaModelList)
      if (tags === undefined) return down
      const loaded = await this.#getJson('/api/ps', OllamaModelList)
      return {
        kind,
        status: {
          up: true,
          models: modelNames(tags.models ?? []),
          loadedModels: modelNames(loaded?.models ?? []),
        },
        // Ollama exposes no count of running requests.
        activeRequests: 0,
      }
    }
    const list = await this.#getJson('/v1/models', OpenAiModelList)
    if (list === undefined) return down
    return {
      kind,
      status: {
        up: true,
        models: modelNames(list.data.map((model) => ({ name: model.id }))),
        loadedModels: [],
      },
      activeRequests: await this.#activeRequests(),
    }
  }

  async #detectKind(): Promise<RuntimeKind | null> {
    if (this.#detectedKind !== null) return this.#detectedKind
    if ((await this.#getJson('/api/version', OllamaVersion)) !== undefined) this.#detectedKind = 'ollama'
    else if ((await this.#getJson('/v1/models', OpenAiModelList)) !== undefined) this.#detectedKind = 'openai'
    return this.#detectedKind
  }

  async #activeRequests(): Promise<number> {
    if (this.#activeSource === undefined || this.#activeSource === 'vllm-metrics') {
      const text = await this.#getText('/metrics')
      const count = text === undefined ? null : parseVllmActiveRequests(text)
      if (count !== null) {
        this.#activeSource = 'vllm-metrics'
        return count
      }
    }
    if (this.#activeSource === undefined || this.#activeSource === 'llamacpp-slots') {
      const slots = await this.#getJson('/slots', LlamaCppSlots)
      if (slots !== undefined) {
        this.#activeSource = 'llamacpp-slots'
        return slots.filter((slot) => slot.is_processing === true || (slot.state ?? 0) !== 0).length
      }
    }
    // Probe once; a runtime that exposes neither is not asked again every interval.
    this.#activeSource ??= 'none'
    return 0
  }

  async #getText(path: string): Promise<string | undefined> {
    try {
      const response = await this.#fetch(`${this.#url}${path}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      if (!response.ok) {
        await response.body?.cancel()
        return undefined
      }
      return await response.text()
    } catch (error) {
      // Down, refused or timed out: all mean "not up" to the caller; the cause is not needed per tick.
      void error
      return undefined
    }
  }

  async #getJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const text = await this.#getText(path)
    if (text === undefined) return undefined
    try {
      const parsed = schema.safeParse(JSON.parse(text))
      return parsed.success ? parsed.data : undefined
    } catch (error) {
      // Not JSON: not the API we are looking for.
      void error
      return undefined
    }
  }
}

/** Valid, de-duplicated model names, capped to what the wire format accepts. */
function modelNames(models: readonly { name: string }[]): string[] {
  const names = new Set<string>()
  for (const { name } of models) {
    if (name.length > 0 && name.length <= MAX_MODEL_NAME_LENGTH) names.add(name)
    if (names.size >= MAX_MODELS) break
  }
  return [...names]
}

/**
 * PURE: vLLM's Prometheus gauges `vllm:num_requests_running` + `vllm:num_requests_waiting`, summed
 * over label sets (one per model); null when neither is present (not vLLM).
 */
export function parseVllmActiveRequests(metricsText: string): number | null {
  let total = 0
  let isFound = false
  for (const line of metricsText.split('\n')) {
    const match = /^vllm:num_requests_(?:running|waiting)(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line)
    if (match === null) continue
    const value = Number(match[1])
    if (Number.isFinite(value) && value >= 0) {
      total += value
      isFound = true
    }
  }
  return isFound ? Math.round(total) : null
}
