/**
 * startMockRuntime: one simulated LLM runtime on node:http. Routes by method and path (no framework: the
 * mock must stay cheap at thousands of concurrent streams), serves the control API under `/_mock/*`, and
 * implements the `refuse` fault by closing its listening socket.
 */

import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { formatZodError } from '@llm-fleet/types'
import { handleMessages, sendAnthropicError } from './anthropic-api.js'
import { handleSpeechToText, isSpeechToTextPath } from './audio-api.js'
import { type FaultDirective, FaultSettings, FaultState } from './fault-state.js'
import { GenerationScheduler } from './generation-scheduler.js'
import { readJsonBody, sendJson, sendText } from './http-exchange.js'
import { describeModel, type ModelInfo } from './model-catalog.js'
import {
  handleOllamaChat,
  handleOllamaEmbed,
  handleOllamaEmbeddings,
  handleOllamaGenerate,
  handleOllamaPs,
  handleOllamaTags,
  handleOllamaVersion,
  sendOllamaError,
} from './ollama-api.js'
import { handleOllamaShow } from './ollama-show.js'
import {
  handleChatCompletions,
  handleCompletions,
  handleEmbeddings,
  handleModels,
  sendOpenAiError,
} from './openai-api.js'
import { GPU_PROFILES, type GpuProfile, type ProfileId } from './profiles.js'
import { type PrefixCacheSettings, PromptGate } from './prompt-gate.js'
import { ResidencyGate, type ResidencySettings } from './residency-gate.js'
import { handleResponses } from './responses-api.js'
import type { ApiRequest, RuntimeContext, RuntimeKind } from './runtime-context.js'
import { RuntimeCounters, type RuntimeStats } from './runtime-stats.js'
import {
  handleMetrics,
  handleSlots,
  isAuthorized,
  isGuarded,
  type ServerFlavor,
  sendLoading,
  sendUnauthorized,
} from './server-flavor.js'
import { scaleProfile } from './speed-model.js'

/** Header naming the instance on every response. */
export const INSTANCE_HEADER = 'x-mock-runtime'

/** Options of {@link startMockRuntime}. */
export interface MockRuntimeOptions {
  /** API family: `ollama` (native `/api/*` and `/v1/*`) or `openai` (`/v1/*` and `/metrics` only, like vLLM). */
  readonly kind: RuntimeKind
  /** Speed profile: a profile id or a custom profile. */
  readonly profile: ProfileId | GpuProfile
  /** Served model names, e.g. `['llama3.1:8b']`. At least one. */
  readonly models: readonly string[]
  /** Port to listen on; 0 picks a free one. */
  readonly port?: number
  /** Interface to listen on; `127.0.0.1` by default. */
  readonly host?: string
  /** Multiplies every speed (tokens/s up, TTFT down); 1 by default. */
  readonly speedScale?: number
  /** Instance name for the `X-Mock-Runtime` header; `<profile>-<port>` by default. */
  readonly name?: string
  /** Fault to start with; `ok` by default. */
  readonly fault?: FaultSettings
  /**
   * Also serve the control API (`/_mock/*`) on this port (0 picks one), so that a `refuse` fault set over
   * HTTP can be cleared over HTTP. Without it, `/_mock/*` lives only on the main port.
   */
  readonly controlPort?: number
  /** Model residency as Ollama manages it (residency-gate.ts); every model always loaded when absent. */
  readonly residency?: ResidencySettings
  /**
   * KV prefix caching (prefix-cache.ts): a prompt's cached leading blocks are not prefilled again, so
   * TTFT is the uncached part ÷ prefill rate (+ queue + load). Off when absent.
   */
  readonly prefixCache?: PrefixCacheSettings
  /** For `openai`: which server to imitate where they differ (metrics, `/slots`, auth); `vllm` by default. */
  readonly server?: ServerFlavor
  /** Demand this key (`Authorization: Bearer …`) as the server's `--api-key` does; `openai` kind only. */
  readonly apiKey?: string
}

/** A running mock runtime. */
export interface MockRuntime {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly port: number
  /** Base URL of the separate control port, when one was asked for. */
  readonly controlUrl: string | undefined
  readonly name: string
  /** The speed-scaled profile in use. */
  readonly profile: GpuProfile
  /** Injects a fault (or `{ mode: 'ok' }` to clear it); resolves once `refuse` closed or reopened the port. */
  setFault(settings: FaultSettings): Promise<void>
  stats(): RuntimeStats
  /** Zeroes the counters and clears the fault. */
  reset(): Promise<void>
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>
}

type Route = (request: ApiRequest, response: ServerResponse) => void

const OLLAMA_POST_ROUTES: Readonly<Record<string, Route>> = {
  '/api/chat': handleOllamaChat,
  '/api/generate': handleOllamaGenerate,
  '/api/embed': handleOllamaEmbed,
  '/api/embeddings': handleOllamaEmbeddings,
  '/api/show': handleOllamaShow,
}
const OPENAI_POST_ROUTES: Readonly<Record<string, Route>> = {
  '/v1/chat/completions': handleChatCompletions,
  '/v1/completions': handleCompletions,
  '/v1/embeddings': handleEmbeddings,
  '/v1/responses': handleResponses,
  '/v1/messages': handleMessages,
}
const GENERATION_PATHS = new Set([
  '/api/chat',
  '/api/generate',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/messages',
  '/v1/audio/transcriptions',
  '/v1/audio/translations',
])

/** Starts a mock runtime and resolves once it listens. */
export async function startMockRuntime(options: MockRuntimeOptions): Promise<MockRuntime> {
  if (options.models.length === 0) throw new RangeError('a mock runtime needs at least one model')
  const baseProfile = typeof options.profile === 'string' ? GPU_PROFILES[options.profile] : options.profile
  const profile = scaleProfile(baseProfile, options.speedScale ?? 1)
  const host = options.host ?? '127.0.0.1'
  const scheduler = new GenerationScheduler({ profile })
  const counters = new RuntimeCounters()
  const faults = new FaultState()
  if (options.fault !== undefined && options.fault.mode !== 'refuse') faults.set(options.fault)
  const models = new Map<string, ModelInfo>(options.models.map((name) => [name, describeModel(name)]))
  let name = options.name ?? ''

  const stats = (): RuntimeStats => ({
    active: scheduler.activeCount,
    queued: scheduler.queuedCount,
    peak: scheduler.peakCount,
    requests: counters.requests,
    completed: counters.completed,
    aborted: counters.aborted,
    faulted: counters.faulted,
    totalTokens: counters.totalTokens,
    ...(prompts === undefined ? {} : { prompts: { ...prompts.totals } }),
  })

  const server = createServer({ keepAlive: true })
  const controlServer = options.controlPort === undefined ? undefined : createServer({ keepAlive: true })
  let port = options.port ?? 0
  let isRefusing = false
  let isClosed = false

  const listen = async (target: Server, listenPort: number): Promise<number> => {
    target.listen(listenPort, host)
    await once(target, 'listening')
    return (target.address() as AddressInfo).port
  }

  const stopListening = async (target: Server): Promise<void> => {
    if (!target.listening) return
    const closed = once(target, 'close')
    target.close()
    target.closeAllConnections()
    await closed
  }

  const setFault = async (settings: FaultSettings): Promise<void> => {
    if (settings.mode === 'refuse') {
      faults.set({ mode: 'ok' })
      if (!isRefusing) {
        isRefusing = true
        // In-flight streams die with the listener, as they do when a runtime process is killed.
        scheduler.clear()
        await stopListening(server)
      }
      return
    }
    faults.set(settings)
    if (isRefusing && !isClosed) {
      isRefusing = false
      await listen(server, port)
    }
  }

  const reset = async (): Promise<void> => {
    counters.reset()
    scheduler.resetPeak()
    await setFault({ mode: 'ok' })
  }

  const residency =
    options.residency === undefined
      ? undefined
      : new ResidencyGate(options.residency, options.speedScale ?? 1)
  const prompts =
    residency === undefined && options.prefixCache === undefined
      ? undefined
      : new PromptGate({
          profile: baseProfile,
          speedScale: options.speedScale ?? 1,
          models,
          residency,
          prefixCache: options.prefixCache,
        })
  const context: RuntimeContext = {
    kind: options.kind,
    get name() {
      return name
    },
    profile,
    models,
    scheduler,
    counters,
    faults,
    startedAtMs: Date.now(),
    residency,
    prompts,
  }

  const handleControl = async (
    method: string,
    path: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    if (method === 'GET' && path === '/_mock/stats') return sendJson(response, 200, stats())
    if (method === 'GET' && path === '/_mock/faults') {
      return sendJson(response, 200, {
        ...faults.settings,
        remaining: faults.remaining,
        refusing: isRefusing,
      })
    }
    if (method === 'POST' && path === '/_mock/reset') {
      await reset()
      return sendJson(response, 200, stats())
    }
    if (method === 'POST' && path === '/_mock/faults') {
      const body = await readJsonBody(request)
      if (!body.ok) return sendJson(response, body.status, { error: body.message })
      const parsed = FaultSettings.safeParse(body.value)
      if (!parsed.success) return sendJson(response, 400, { error: formatZodError(parsed.error) })
      // Answer before a refuse closes the connection this request came on.
      sendJson(response, 200, parsed.data)
      await once(response, 'finish')
      await setFault(parsed.data)
      return
    }
    sendJson(response, 404, { error: `no control route ${method} ${path}` })
  }

  const flavor: ServerFlavor = options.server ?? 'vllm'
  const apiKey = options.kind === 'openai' ? options.apiKey : undefined

  const sendApiError = (
    response: ServerResponse,
    isOllamaRoute: boolean,
    status: number,
    message: string,
    path = '',
  ): void => {
    if (isOllamaRoute) sendOllamaError(response, status, message)
    else if (path === '/v1/messages')
      sendAnthropicError(response, status, status === 503 ? 'overloaded_error' : 'api_error', message)
    else
      sendOpenAiError(response, status, {
        message,
        type: status === 503 ? 'service_unavailable' : 'invalid_request_error',
      })
  }

  /** Faults for routes that do not generate: die drops the socket, stall never answers, garbage is not JSON. */
  const applySimpleFault = (fault: FaultDirective, response: ServerResponse): boolean => {
    if (fault.mode === 'ok') return false
    counters.faulted++
    if (fault.mode === 'die-mid-stream') response.socket?.destroy()
    else if (fault.mode === 'garbage') sendText(response, 200, '{"models":[', 'application/json')
    else if (fault.mode === 'stall') response.flushHeaders()
    return true
  }

  const handleApi = async (
    method: string,
    path: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    const isOllamaRoute = path.startsWith('/api/') || path === '/'
    if (faults.settings.mode === 'loading') {
      faults.take()
      counters.faulted++
      return sendLoading(response)
    }
    if (apiKey !== undefined && isGuarded(flavor, path) && !isAuthorized(flavor, apiKey, request.headers)) {
      return sendUnauthorized(flavor, response)
    }
    if (isOllamaRoute && context.kind === 'openai') {
      // vLLM is a FastAPI app: unknown paths get FastAPI's 404.
      return sendJson(response, 404, { detail: 'Not Found' })
    }
    counters.requests++
    const fault = faults.take()
    if (fault.mode === '503') {
      counters.faulted++
      return sendApiError(
        response,
        isOllamaRoute,
        503,
        isOllamaRoute
          ? 'server busy, please try again.  maximum pending requests exceeded'
          : 'Service Unavailable',
        path,
      )
    }
    if (fault.mode === 'load-failed' && method === 'POST' && GENERATION_PATHS.has(path)) {
      counters.faulted++
      // Ollama's words when the runner dies while loading (server/sched.go); vLLM-style elsewhere.
      return sendApiError(
        response,
        isOllamaRoute,
        500,
        isOllamaRoute
          ? 'llama runner process has terminated: error loading model: unable to allocate CUDA0 buffer'
          : 'Failed to load model',
        path,
      )
    }
    // Uploads (multipart, not JSON) are vLLM's speech-to-text API, served only when playing vLLM.
    if (method === 'POST' && context.kind === 'openai' && flavor === 'vllm' && isSpeechToTextPath(path)) {
      return handleSpeechToText(path, { context, fault }, request, response)
    }
    if (method === 'POST') {
      const route = isOllamaRoute ? OLLAMA_POST_ROUTES[path] : OPENAI_POST_ROUTES[path]
      if (route === undefined) return sendNotFound(response)
      if (!GENERATION_PATHS.has(path) && applySimpleFault(fault, response)) return
      const body = await readJsonBody(request)
      if (!body.ok) return sendApiError(response, isOllamaRoute, body.status, body.message, path)
      return route({ context, fault, body: body.value }, response)
    }
    if (method !== 'GET' && method !== 'HEAD') return sendNotFound(response)
    const handler = getRoute(path)
    if (handler === undefined) return sendNotFound(response)
    if (applySimpleFault(fault, response)) return
    handler(response)
  }

  const getRoute = (path: string): ((response: ServerResponse) => void) | undefined => {
    if (context.kind === 'ollama') {
      if (path === '/') return (response) => sendText(response, 200, 'Ollama is running')
      if (path === '/api/tags') return (response) => handleOllamaTags(context, response)
      if (path === '/api/ps') return (response) => handleOllamaPs(context, response)
      if (path === '/api/version') return handleOllamaVersion
    } else if (path === '/metrics') return (response) => handleMetrics(flavor, context, response)
    else if (path === '/slots' && flavor === 'llama-server')
      return (response) => handleSlots(context, response)
    if (path === '/v1/models') return (response) => handleModels(context, response)
    return undefined
  }

  const sendNotFound = (response: ServerResponse): void => {
    // Ollama is a Go net/http mux: plain text. vLLM is FastAPI: `{ detail }`.
    if (context.kind === 'ollama') sendText(response, 404, '404 page not found')
    else sendJson(response, 404, { detail: 'Not Found' })
  }

  const onRequest = (isControlOnly: boolean) => (request: IncomingMessage, response: ServerResponse) => {
    response.setHeader(INSTANCE_HEADER, name)
    const method = request.method ?? 'GET'
    const url = request.url ?? '/'
    const queryAt = url.indexOf('?')
    const path = queryAt === -1 ? url : url.slice(0, queryAt)
    const handled = path.startsWith('/_mock/')
      ? handleControl(method, path, request, response)
      : isControlOnly
        ? Promise.resolve(sendJson(response, 404, { error: 'this is the control port: only /_mock/* here' }))
        : handleApi(method, path, request, response)
    handled.catch((error: unknown) => {
      // A bug in the mock must not take the process down; say so on the wire and drop the socket if needed.
      if (!response.headersSent) sendJson(response, 500, { error: `mock runtime error: ${String(error)}` })
      else response.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  }

  server.on('request', onRequest(false))
  controlServer?.on('request', onRequest(true))

  port = await listen(server, port)
  if (name === '') name = `${baseProfile.id}-${port}`
  const controlPort =
    controlServer === undefined ? undefined : await listen(controlServer, options.controlPort ?? 0)
  if (options.fault?.mode === 'refuse') await setFault(options.fault)

  return {
    url: `http://${host}:${port}`,
    port,
    controlUrl: controlPort === undefined ? undefined : `http://${host}:${controlPort}`,
    name,
    profile,
    setFault,
    stats,
    reset,
    async close() {
      if (isClosed) return
      isClosed = true
      scheduler.clear()
      await Promise.all([
        stopListening(server),
        controlServer === undefined ? undefined : stopListening(controlServer),
      ])
    },
  }
}
