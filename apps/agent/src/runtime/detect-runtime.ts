/**
 * The LLM runtime next to the agent: which API it speaks (Ollama answers `/api/version`, otherwise
 * OpenAI-compatible `/v1/models`), the models it serves and has loaded (with Ollama's sizes, digests
 * and details), its version, and how many requests it is working on by its own count (the `/metrics`
 * gauges of vLLM, SGLang and llama.cpp server, or llama.cpp server's `/slots`). With `apiKey` every
 * probe carries `Authorization: Bearer <key>` (vLLM and llama-server `--api-key`).
 */
import type { LoadedModel, ModelDetail, RuntimeKind, RuntimeStatus } from '@llm-fleet/types'
import { LoadedModelList, MAX_MODEL_NAME_LENGTH, MAX_MODELS, ModelDetailList } from '@llm-fleet/types'
import { z } from 'zod'
import { fetchCauseCode } from '../fetch-failure.js'
import type { Logger } from '../log.js'

/** A runtime on the same host answers in milliseconds; a slow probe must not delay the push. */
export const RUNTIME_PROBE_TIMEOUT_MS = 1500

export type RuntimeKindSetting = RuntimeKind | 'auto'

/**
 * Where `activeRequests` comes from. Found on a probe where the runtime answered; a source that
 * answered 401, 503 (llama-server while loading) or timed out is asked again on the next probe, and
 * `none` is looked for again every `REDISCOVER_EVERY_PROBES` probes (a runtime restarted with
 * `--metrics`, a model that finished loading).
 */
type ActiveRequestsSource = 'metrics' | 'llamacpp-slots' | 'none'

/** Probes between two searches for a source of active requests when none was found (about a minute). */
export const REDISCOVER_EVERY_PROBES = 30

/** Why a GET failed: the HTTP status the runtime answered, or the error code where it did not. */
interface ProbeFailure {
  path: string
  status?: number
  /** `ECONNREFUSED`, `timeout`, `not-this-api` (a 200 whose body is not the API's)… */
  cause?: string
}

/** What a GET got: the body, "not served here" (404, 405, 501), or a failure worth retrying. */
type Fetched = { kind: 'ok'; text: string } | { kind: 'absent' } | { kind: 'retry' }
const ABSENT_STATUSES: ReadonlySet<number> = new Set([404, 405, 501])

export interface RuntimeProbeResult {
  /** The detected (or configured) kind; null while an `auto` runtime has never answered. */
  kind: RuntimeKind | null
  status: RuntimeStatus
  activeRequests: number
  /** The runtime's version where it says (Ollama `/api/version`). */
  version?: string
  /** Sizes, digests and details of the served models where the runtime reports them (Ollama). */
  modelDetails?: ModelDetail[]
}

const OllamaVersion = z.object({ version: z.string() })
const OllamaModelList = z.object({
  models: z
    .array(z.object({ name: z.string() }).passthrough())
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
  /** `RUNTIME_API_KEY`: sent as `Authorization: Bearer …` with every probe. */
  apiKey?: string | undefined
  /** Told when the runtime starts or stops answering, and why (once per change, not per probe). */
  log?: Logger | undefined
}

/** Keeps what was learned about the runtime between probes (its kind, where it counts requests). */
export class RuntimeProbe {
  readonly #url: string
  readonly #fetch: Fetch
  readonly #timeoutMs: number
  readonly #configuredKind: RuntimeKindSetting
  readonly #headers: Record<string, string>
  readonly #log: Logger | undefined
  readonly #hasApiKey: boolean
  #detectedKind: RuntimeKind | null = null
  /** Why the last GET of this probe failed; what a down runtime is logged with. */
  #lastFailure: ProbeFailure | undefined
  /** The last state logged: `up`, or the reason the runtime was down. */
  #loggedState: string | undefined
  #activeSource: ActiveRequestsSource | undefined
  /** Probes since `none` was settled on. */
  #probesWithoutSource = 0

  constructor(options: RuntimeProbeOptions) {
    this.#url = options.url.replace(/\/+$/, '')
    this.#fetch = options.fetch ?? fetch
    this.#timeoutMs = options.timeoutMs ?? RUNTIME_PROBE_TIMEOUT_MS
    this.#configuredKind = options.kind
    this.#headers = options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }
    this.#hasApiKey = options.apiKey !== undefined
    this.#log = options.log
  }

  /** The kind to register with: configured, detected, or null when unknown yet. */
  get kind(): RuntimeKind | null {
    return this.#configuredKind === 'auto' ? this.#detectedKind : this.#configuredKind
  }

  async probe(): Promise<RuntimeProbeResult> {
    this.#lastFailure = undefined
    const result = await this.#probeOnce()
    this.#logChange(result)
    return result
  }

  /**
   * Logs a runtime that starts or stops answering, with what it answered: without it, a runtime that
   * demands a key (vLLM `--api-key` guards `/v1/models`) or a `RUNTIME_URL` that misses the API showed
   * only as a node the coordinator never routes to.
   */
  #logChange(result: RuntimeProbeResult): void {
    const failure = this.#lastFailure
    const state = result.status.up ? 'up' : describeFailure(failure)
    if (state === this.#loggedState) return
    this.#loggedState = state
    if (result.status.up) {
      this.#log?.info(
        { runtimeUrl: this.#url, kind: result.kind, models: result.status.models.length },
        'runtime answering',
      )
      return
    }
    const hint = failure === undefined ? undefined : this.#hint(failure)
    this.#log?.warn(
      { runtimeUrl: this.#url, reason: state, ...(hint === undefined ? {} : { hint }) },
      'runtime not answering: reported down',
    )
  }

  #hint(failure: ProbeFailure): string | undefined {
    if (failure.status === 401 || failure.status === 403) {
      return this.#hasApiKey
        ? "RUNTIME_API_KEY is not the runtime's --api-key"
        : 'the runtime demands a key: set RUNTIME_API_KEY to its --api-key'
    }
    if (failure.status === 404) {
      return "RUNTIME_URL must be the runtime's root (http://host:port, without /v1)"
    }
    if (failure.status === 503) return 'the runtime is starting (llama-server answers 503 while loading)'
    if (failure.cause === 'ECONNREFUSED') return 'nothing listens at RUNTIME_URL'
    return undefined
  }

  async #probeOnce(): Promise<RuntimeProbeResult> {
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
      const version = await this.#getJson('/api/version', OllamaVersion)
      const loadedDetails = loadedModels(loaded?.models ?? [])
      return {
        kind,
        status: {
          up: true,
          models: modelNames(tags.models ?? []),
          loadedModels: modelNames(loaded?.models ?? []),
          ...(loadedDetails.length > 0 ? { loaded: loadedDetails } : {}),
        },
        // Ollama exposes no count of running requests.
        activeRequests: 0,
        ...(version === undefined ? {} : { version: version.version.slice(0, 64) }),
        modelDetails: modelDetails(tags.models ?? []),
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
    if (this.#activeSource === 'none') {
      if (++this.#probesWithoutSource < REDISCOVER_EVERY_PROBES) return 0
      this.#activeSource = undefined
    }
    let shouldRetry = false
    if (this.#activeSource === undefined || this.#activeSource === 'metrics') {
      const fetched = await this.#get('/metrics')
      const count = fetched.kind === 'ok' ? parseActiveRequests(fetched.text) : null
      if (count !== null) {
        this.#activeSource = 'metrics'
        return count
      }
      shouldRetry ||= fetched.kind === 'retry'
    }
    if (this.#activeSource === undefined || this.#activeSource === 'llamacpp-slots') {
      const fetched = await this.#get('/slots')
      const slots = fetched.kind === 'ok' ? parseJson(fetched.text, LlamaCppSlots) : undefined
      if (slots !== undefined) {
        this.#activeSource = 'llamacpp-slots'
        return slots.filter((slot) => slot.is_processing === true || (slot.state ?? 0) !== 0).length
      }
      shouldRetry ||= fetched.kind === 'retry'
    }
    // A known source that failed, or one that may answer later (401, 503, timeout): ask again next probe.
    if (this.#activeSource !== undefined || shouldRetry) {
      this.#activeSource = undefined
      return 0
    }
    this.#activeSource = 'none'
    this.#probesWithoutSource = 0
    return 0
  }

  async #get(path: string): Promise<Fetched> {
    try {
      const response = await this.#fetch(`${this.#url}${path}`, {
        headers: this.#headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      if (!response.ok) {
        await response.body?.cancel()
        this.#lastFailure = { path, status: response.status }
        return ABSENT_STATUSES.has(response.status) ? { kind: 'absent' } : { kind: 'retry' }
      }
      return { kind: 'ok', text: await response.text() }
    } catch (error) {
      // Down, refused or timed out: all mean "not now" to the caller; the cause is logged on a change.
      this.#lastFailure = { path, cause: fetchErrorCode(error) }
      return { kind: 'retry' }
    }
  }

  async #getText(path: string): Promise<string | undefined> {
    const fetched = await this.#get(path)
    return fetched.kind === 'ok' ? fetched.text : undefined
  }

  async #getJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const text = await this.#getText(path)
    if (text === undefined) return undefined
    const parsed = parseJson(text, schema)
    if (parsed === undefined) this.#lastFailure = { path, cause: 'not-this-api' }
    return parsed
  }
}

/** fetch's TypeError hides the reason in `cause` (undici: ECONNREFUSED, UND_ERR_…); a timeout is named. */
function fetchErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.name === 'TimeoutError') return 'timeout'
  return fetchCauseCode(error) ?? error.message
}

/** `/v1/models answered HTTP 401`, `/api/tags: ECONNREFUSED`. */
function describeFailure(failure: ProbeFailure | undefined): string {
  if (failure === undefined) return 'no answer'
  if (failure.cause === 'not-this-api')
    return `${failure.path} answered 200 with a body that is not this API's`
  return failure.status === undefined
    ? `${failure.path}: ${failure.cause ?? 'no answer'}`
    : `${failure.path} answered HTTP ${failure.status}`
}

function parseJson<T>(text: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch (error) {
    // Not JSON: not the API we are looking for.
    void error
    return undefined
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
 * The gauges each runtime exposes for requests running and waiting, summed over label sets (one per
 * model): vLLM (vllm/v1/metrics/loggers.py), SGLang (python/sglang/srt/metrics/collector.py),
 * llama.cpp server started with `--metrics` (tools/server/server-context.cpp, "llamacpp:" prefix) and
 * TGI (router/src/infer: `tgi_batch_current_size`, `tgi_queue_size`).
 */
const ACTIVE_REQUEST_GAUGES =
  /^(?:vllm:num_requests_(?:running|waiting)|sglang:num_(?:running|queue)_reqs|llamacpp:requests_(?:processing|deferred)|tgi_(?:batch_current|queue)_size)(?:\{[^}]*\})?\s+([0-9.eE+-]+)/

/**
 * PURE: requests running plus waiting by the runtime's own gauges (see `ACTIVE_REQUEST_GAUGES`); null
 * when none is present (a runtime without such metrics).
 */
export function parseActiveRequests(metricsText: string): number | null {
  let total = 0
  let isFound = false
  for (const line of metricsText.split('\n')) {
    const match = ACTIVE_REQUEST_GAUGES.exec(line)
    if (match === null) continue
    const value = Number(match[1])
    if (Number.isFinite(value) && value >= 0) {
      total += value
      isFound = true
    }
  }
  return isFound ? Math.round(total) : null
}

/** The former name, when only vLLM was read. */
export const parseVllmActiveRequests = parseActiveRequests

const OllamaTagDetail = z.object({
  name: z.string(),
  size: z.number().optional(),
  digest: z.string().optional(),
  modified_at: z.string().optional(),
  details: z
    .object({
      parent_model: z.string().optional(),
      format: z.string().optional(),
      family: z.string().optional(),
      families: z.array(z.string()).nullable().optional(),
      parameter_size: z.string().optional(),
      quantization_level: z.string().optional(),
    })
    .optional(),
})

const OllamaPsEntry = z.object({
  name: z.string(),
  size: z.number().optional(),
  size_vram: z.number().optional(),
  expires_at: z.string().optional(),
})

/** An ISO date as the wire schema wants it, or null for a missing or unparseable one (Go's zero time). */
function isoOrNull(value: string | undefined): string | null {
  if (value === undefined || value.startsWith('0001-')) return null
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null
}

const count = (value: number | undefined): number =>
  value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : 0
const text = (value: string | undefined): string => (value ?? '').slice(0, 256)

/** PURE: Ollama `/api/tags` entries as the wire's `ModelDetail`s; entries that do not fit are left out. */
export function modelDetails(models: readonly unknown[]): ModelDetail[] {
  const details: ModelDetail[] = []
  for (const raw of models) {
    const parsed = OllamaTagDetail.safeParse(raw)
    if (!parsed.success) continue
    const model = parsed.data
    const facts = model.details ?? {}
    details.push({
      name: model.name,
      sizeBytes: count(model.size),
      digest: text(model.digest).slice(0, 160),
      modifiedAt: isoOrNull(model.modified_at),
      details: {
        parentModel: text(facts.parent_model),
        format: text(facts.format),
        family: text(facts.family),
        families: (facts.families ?? []).slice(0, 16).map(text),
        parameterSize: text(facts.parameter_size),
        quantizationLevel: text(facts.quantization_level),
      },
    })
  }
  const checked = ModelDetailList.safeParse(
    details
      .filter((detail) => detail.name.length > 0 && detail.name.length <= MAX_MODEL_NAME_LENGTH)
      .slice(0, MAX_MODELS),
  )
  return checked.success ? checked.data : []
}

/** PURE: Ollama `/api/ps` entries as the wire's `LoadedModel`s. */
export function loadedModels(models: readonly unknown[]): LoadedModel[] {
  const loaded: LoadedModel[] = []
  for (const raw of models) {
    const parsed = OllamaPsEntry.safeParse(raw)
    if (!parsed.success || parsed.data.name === '' || parsed.data.name.length > MAX_MODEL_NAME_LENGTH)
      continue
    loaded.push({
      name: parsed.data.name,
      sizeBytes: count(parsed.data.size),
      sizeVramBytes: count(parsed.data.size_vram),
      expiresAt: isoOrNull(parsed.data.expires_at),
    })
  }
  const checked = LoadedModelList.safeParse(loaded.slice(0, 64))
  return checked.success ? checked.data : []
}
