/** The native Ollama API (`/api/*`): NDJSON streaming by default, `stream: false` for one object. */

import type { ServerResponse } from 'node:http'
import { formatZodError } from '@llm-fleet/types'
import { z } from 'zod'
import { runAdmittedGeneration } from './admitted-generation.js'
import { embedText } from './embedding.js'
import type { GenerationRenderer } from './generation-response.js'
import { sendJson } from './http-exchange.js'
import { type ModelInfo, resolveModel } from './model-catalog.js'
import type { LoadedModel } from './model-residency.js'
import { estimateTokenCount, hashString, outputLengthTokens, tokenText } from './output-length.js'
import type { PromptAdmission } from './prompt-gate.js'
import type { ApiRequest, RuntimeContext } from './runtime-context.js'

/** The version `/api/version` reports: one with the OpenAI-compatible routes and `/api/embed`. */
export const OLLAMA_VERSION = '0.9.0'
const NDJSON = 'application/x-ndjson'
// How long the mock says loading took (the model is always "loaded").
const LOAD_DURATION_NS = 2_000_000
// How long a model stays loaded after use, as Ollama's default OLLAMA_KEEP_ALIVE.
const KEEP_ALIVE_MS = 5 * 60 * 1000

const GenerationOptions = z.looseObject({ num_predict: z.number().optional() })
const Message = z.looseObject({ role: z.string(), content: z.string().optional() })

const ChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).optional(),
  stream: z.boolean().optional(),
  options: GenerationOptions.optional(),
})
const GenerateRequest = z.looseObject({
  model: z.string().min(1),
  prompt: z.string().optional(),
  system: z.string().optional(),
  stream: z.boolean().optional(),
  options: GenerationOptions.optional(),
})
const EmbedRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string())]),
})
const LegacyEmbeddingsRequest = z.looseObject({ model: z.string().min(1), prompt: z.string() })

/** Ollama's error body. */
export function sendOllamaError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: message })
}

function parse<T>(schema: z.ZodType<T>, body: unknown, response: ServerResponse): T | undefined {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  sendOllamaError(response, 400, formatZodError(result.error))
  return undefined
}

function findModel(context: RuntimeContext, name: string, response: ServerResponse): ModelInfo | undefined {
  const model = resolveModel(context.models, name)
  if (model === undefined) sendOllamaError(response, 404, `model "${name}" not found, try pulling it first`)
  return model
}

function maxTokens(options: z.infer<typeof GenerationOptions> | undefined): number | undefined {
  const numPredict = options?.num_predict
  // Ollama: -1 generates until done, -2 until the context fills; both mean "no client limit" here.
  return numPredict === undefined || numPredict < 0 ? undefined : numPredict
}

const nsSince = (startMs: number): number => Math.round((performance.now() - startMs) * 1e6)

function generate(
  request: ApiRequest,
  response: ServerResponse,
  shape: { model: string; prompt: string; stream: boolean | undefined; maxTokens: number | undefined },
  kind: 'chat' | 'generate',
): void {
  const { context, fault } = request
  const startMs = performance.now()
  let firstTokenMs = 0
  const seed = hashString(shape.prompt)
  const outputTokens = outputLengthTokens(seed, shape.maxTokens)
  const promptTokens = estimateTokenCount(shape.prompt)
  const doneReason = shape.maxTokens !== undefined ? 'length' : 'stop'
  const isStreaming = shape.stream !== false
  const modelJson = JSON.stringify(shape.model)
  const chunkHead = `{"model":${modelJson},"created_at":"`
  const chunkBody = kind === 'chat' ? '","message":{"role":"assistant","content":"' : '","response":"'
  const chunkTail = kind === 'chat' ? '"},"done":false}\n' : '","done":false}\n'
  const collected: string[] = []

  let admission: PromptAdmission | undefined
  const finalObject = (): Record<string, unknown> => {
    const content = isStreaming ? '' : collected.join('')
    return {
      model: shape.model,
      created_at: new Date().toISOString(),
      ...(kind === 'chat' ? { message: { role: 'assistant', content } } : { response: content }),
      done: true,
      done_reason: doneReason,
      ...timings(),
    }
  }
  const timings = (): Record<string, number> => {
    const nowMs = performance.now()
    if (admission === undefined) {
      const totalNs = nsSince(startMs)
      const promptEvalNs = Math.round(((firstTokenMs || nowMs) - startMs) * 1e6)
      return {
        total_duration: totalNs,
        load_duration: LOAD_DURATION_NS,
        prompt_eval_count: promptTokens,
        prompt_eval_duration: promptEvalNs,
        eval_count: outputTokens,
        eval_duration: Math.max(0, totalNs - promptEvalNs),
      }
    }
    // What really happened, in unscaled time. prompt_eval_count is the whole prompt, cached part
    // included, and prompt_eval_duration only the uncached part's prefill: ollama/ollama
    // llm/llama_server.go `promptEvalCount()` = cache_n + prompt_n, duration = prompt_ms (#16428).
    const scale = context.prompts?.speedScale ?? 1
    return {
      total_duration: Math.round((nowMs - startMs) * scale * 1e6),
      load_duration: admission.loadDurationNs,
      prompt_eval_count: admission.promptTokens,
      prompt_eval_duration: admission.prefillNs,
      eval_count: outputTokens,
      eval_duration: Math.round((nowMs - (firstTokenMs || nowMs)) * scale * 1e6),
    }
  }

  const renderer: GenerationRenderer = {
    isStreaming,
    streamContentType: NDJSON,
    renderTokens(firstIndex, count) {
      if (firstTokenMs === 0) firstTokenMs = performance.now()
      if (!isStreaming) {
        for (let i = 0; i < count; i++) collected.push(tokenText(seed, firstIndex + i))
        return ''
      }
      const createdAt = new Date().toISOString()
      let text = ''
      for (let i = 0; i < count; i++)
        text += chunkHead + createdAt + chunkBody + tokenText(seed, firstIndex + i) + chunkTail
      return text
    },
    renderEnd() {
      const body = JSON.stringify(finalObject())
      return isStreaming ? `${body}\n` : body
    },
    renderGarbage() {
      return isStreaming ? `${chunkHead}2024-01-01T00:00:00Z","mess\nnot json\n` : `${chunkHead}`
    },
    renderError(message) {
      const body = JSON.stringify({ error: message })
      return { streamed: `${body}\n`, body }
    },
  }
  // Ollama loads the model before it evaluates the prompt; the reference lasts until the answer ends.
  const generation = { model: shape.model, prompt: shape.prompt, seed, outputTokens, fault }
  runAdmittedGeneration(context, response, renderer, generation, (admitted) => {
    admission = admitted
  })
}

/** An empty prompt only loads the model: Ollama answers at once with `done_reason: "load"`. */
function answerLoad(response: ServerResponse, model: string, kind: 'chat' | 'generate'): void {
  sendJson(response, 200, {
    model,
    created_at: new Date().toISOString(),
    ...(kind === 'chat' ? { message: { role: 'assistant', content: '' } } : { response: '' }),
    done_reason: 'load',
    done: true,
  })
}

/** `POST /api/chat` */
export function handleOllamaChat(request: ApiRequest, response: ServerResponse): void {
  const body = parse(ChatRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  const messages = body.messages ?? []
  if (messages.length === 0) {
    answerLoad(response, body.model, 'chat')
    return
  }
  const prompt = messages.map((message) => message.content ?? '').join('\n')
  generate(
    request,
    response,
    { model: body.model, prompt, stream: body.stream, maxTokens: maxTokens(body.options) },
    'chat',
  )
}

/** `POST /api/generate` */
export function handleOllamaGenerate(request: ApiRequest, response: ServerResponse): void {
  const body = parse(GenerateRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  if (body.prompt === undefined || body.prompt === '') {
    answerLoad(response, body.model, 'generate')
    return
  }
  const prompt = body.system === undefined ? body.prompt : `${body.system}\n${body.prompt}`
  generate(
    request,
    response,
    { model: body.model, prompt, stream: body.stream, maxTokens: maxTokens(body.options) },
    'generate',
  )
}

/** `POST /api/embed` */
export function handleOllamaEmbed(request: ApiRequest, response: ServerResponse): void {
  const startMs = performance.now()
  const body = parse(EmbedRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  const inputs = typeof body.input === 'string' ? [body.input] : body.input
  sendJson(response, 200, {
    model: body.model,
    embeddings: inputs.map(embedText),
    total_duration: nsSince(startMs),
    load_duration: LOAD_DURATION_NS,
    prompt_eval_count: inputs.reduce((sum, input) => sum + estimateTokenCount(input), 0),
  })
}

/** `POST /api/embeddings` (the legacy single-prompt route). */
export function handleOllamaEmbeddings(request: ApiRequest, response: ServerResponse): void {
  const body = parse(LegacyEmbeddingsRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  sendJson(response, 200, { embedding: embedText(body.prompt) })
}

/** `GET /api/tags` */
export function handleOllamaTags(context: RuntimeContext, response: ServerResponse): void {
  const modifiedAt = new Date(context.startedAtMs).toISOString()
  sendJson(response, 200, {
    models: [...context.models.values()].map((model) => ({
      name: model.name,
      model: model.name,
      modified_at: modifiedAt,
      size: model.sizeBytes,
      digest: model.digest,
      details: model.details,
    })),
  })
}

/** `GET /api/ps`: every served model is reported loaded, fully in VRAM. */
export function handleOllamaPs(context: RuntimeContext, response: ServerResponse): void {
  const expiresAt = new Date(Date.now() + KEEP_ALIVE_MS).toISOString()
  if (context.residency !== undefined) {
    const gate = context.residency
    sendJson(response, 200, { models: residentModels(context, gate.residency.loaded(), gate.speedScale) })
    return
  }
  sendJson(response, 200, {
    models: [...context.models.values()].map((model) => ({
      name: model.name,
      model: model.name,
      size: model.sizeBytes,
      digest: model.digest,
      details: model.details,
      expires_at: expiresAt,
      size_vram: model.sizeBytes,
    })),
  })
}

/** `/api/ps` entries of the models residency holds (fields as ollama/ollama server/routes.go PsHandler sends). */
function residentModels(context: RuntimeContext, loaded: readonly LoadedModel[], speedScale: number) {
  return loaded.flatMap((entry) => {
    const model = context.models.get(entry.name)
    if (model === undefined) return []
    // A model in use expires a keep-alive after its last request ends; report that horizon from now.
    const expiresInMs = (entry.expiresInMs ?? KEEP_ALIVE_MS * speedScale) / speedScale
    return [
      {
        name: model.name,
        model: model.name,
        size: model.sizeBytes,
        digest: model.digest,
        details: model.details,
        expires_at: new Date(Date.now() + expiresInMs).toISOString(),
        size_vram: model.sizeBytes,
      },
    ]
  })
}

/** `GET /api/version` */
export function handleOllamaVersion(response: ServerResponse): void {
  sendJson(response, 200, { version: OLLAMA_VERSION })
}
