/** The OpenAI-compatible API (`/v1/*`): SSE streaming with `data: [DONE]`, usage, embeddings, models. */

import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { formatZodError } from '@llm-fleet/types'
import { z } from 'zod'
import { runAdmittedGeneration } from './admitted-generation.js'
import { embeddingToBase64, embedText } from './embedding.js'
import type { GenerationRenderer } from './generation-response.js'
import { sendJson } from './http-exchange.js'
import type { ModelInfo } from './model-catalog.js'
import { estimateTokenCount, hashString, outputLengthTokens, tokenText } from './output-length.js'
import { type ApiRequest, type RuntimeContext, servedModel } from './runtime-context.js'

const SSE = 'text/event-stream; charset=utf-8'
const SYSTEM_FINGERPRINT = 'fp_mock'

const StreamOptions = z.looseObject({ include_usage: z.boolean().optional() })
const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown().optional() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions.nullish(),
  max_tokens: z.int().min(0).nullish(),
  max_completion_tokens: z.int().min(0).nullish(),
})
const CompletionRequest = z.looseObject({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string())]),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions.nullish(),
  max_tokens: z.int().min(0).nullish(),
})
const EmbeddingsRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(['float', 'base64']).optional(),
})

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export function sendOpenAiError(
  response: ServerResponse,
  status: number,
  error: { message: string; type: string; param?: string | null; code?: string | number | null },
): void {
  sendJson(response, status, {
    error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null },
  })
}

function parse<T>(schema: z.ZodType<T>, body: unknown, response: ServerResponse): T | undefined {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  sendOpenAiError(response, 400, { message: formatZodError(result.error), type: 'invalid_request_error' })
  return undefined
}

/** The served model `name` names, or undefined once the runtime's own 404 for it is sent. */
export function findModel(
  context: RuntimeContext,
  name: string,
  response: ServerResponse,
): ModelInfo | undefined {
  const model = servedModel(context, name)
  if (model !== undefined) return model
  if (context.kind === 'ollama') {
    // Ollama's OpenAI layer wraps its native message.
    sendOpenAiError(response, 404, {
      message: `model "${name}" not found, try pulling it first`,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    })
  } else {
    // vLLM's serving layer answers an unknown model with NotFoundError and the status as the code.
    sendOpenAiError(response, 404, {
      message: `The model \`${name}\` does not exist.`,
      type: 'NotFoundError',
      param: 'model',
      code: 404,
    })
  }
  return undefined
}

const unixSeconds = (): number => Math.floor(Date.now() / 1000)

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  // Content parts: keep the text parts, as a tokenizer would see them.
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string'
          ? part.text
          : '',
      )
      .join('')
  }
  return ''
}

function generate(
  request: ApiRequest,
  response: ServerResponse,
  shape: {
    model: string
    prompt: string
    stream: boolean
    includeUsage: boolean
    maxTokens: number | undefined
  },
  kind: 'chat' | 'completion',
): void {
  const { context, fault } = request
  const seed = hashString(shape.prompt)
  const outputTokens = outputLengthTokens(seed, shape.maxTokens)
  const promptTokens = estimateTokenCount(shape.prompt)
  const finishReason = shape.maxTokens !== undefined ? 'length' : 'stop'
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'
  const created = unixSeconds()
  const usage: Record<string, unknown> = {
    prompt_tokens: promptTokens,
    completion_tokens: outputTokens,
    total_tokens: promptTokens + outputTokens,
  }
  const usageField = shape.includeUsage ? ',"usage":null' : ''
  const head = `data: {"id":"${id}","object":"${object}","created":${created},"model":${JSON.stringify(shape.model)},"system_fingerprint":"${SYSTEM_FINGERPRINT}","choices":[{"index":0,`
  const tokenHead = kind === 'chat' ? `${head}"delta":{"content":"` : `${head}"text":"`
  const tokenTail =
    kind === 'chat'
      ? `"},"logprobs":null,"finish_reason":null}]${usageField}}\n\n`
      : `","logprobs":null,"finish_reason":null}]${usageField}}\n\n`
  let hasSentRole = false
  const collected: string[] = []

  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({
      id,
      object,
      created,
      model: shape.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices,
      ...(shape.includeUsage ? { usage: null } : {}),
      ...extra,
    })}\n\n`

  const renderer: GenerationRenderer = {
    isStreaming: shape.stream,
    streamContentType: SSE,
    renderTokens(firstIndex, count) {
      if (!shape.stream) {
        for (let i = 0; i < count; i++) collected.push(tokenText(seed, firstIndex + i))
        return ''
      }
      let text = ''
      if (kind === 'chat' && !hasSentRole) {
        // OpenAI opens a chat stream with the role and empty content.
        hasSentRole = true
        text += chunk([
          { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
        ])
      }
      for (let i = 0; i < count; i++) text += tokenHead + tokenText(seed, firstIndex + i) + tokenTail
      return text
    },
    renderEnd() {
      if (!shape.stream) {
        const text = collected.join('')
        return JSON.stringify({
          id,
          object: kind === 'chat' ? 'chat.completion' : 'text_completion',
          created,
          model: shape.model,
          system_fingerprint: SYSTEM_FINGERPRINT,
          choices: [
            kind === 'chat'
              ? {
                  index: 0,
                  message: { role: 'assistant', content: text },
                  logprobs: null,
                  finish_reason: finishReason,
                }
              : { index: 0, text, logprobs: null, finish_reason: finishReason },
          ],
          usage,
        })
      }
      let text = ''
      if (kind === 'chat' && !hasSentRole) {
        text += chunk([
          { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
        ])
      }
      text += chunk([
        kind === 'chat'
          ? { index: 0, delta: {}, logprobs: null, finish_reason: finishReason }
          : { index: 0, text: '', logprobs: null, finish_reason: finishReason },
      ])
      if (shape.includeUsage)
        text += `data: ${JSON.stringify({ id, object, created, model: shape.model, system_fingerprint: SYSTEM_FINGERPRINT, choices: [], usage })}\n\n`
      return `${text}data: [DONE]\n\n`
    },
    renderError: vllmStreamError,
    renderGarbage() {
      return shape.stream
        ? `data: {"id":"${id}","choices":[{"delta":\n\ndata: not json\n\n`
        : `{"id":"${id}","choices":[`
    },
  }
  const generation = { model: shape.model, prompt: shape.prompt, seed, outputTokens, fault }
  runAdmittedGeneration(context, response, renderer, generation, (admitted) => {
    // vLLM reports the cached part only when started with --enable-prompt-tokens-details, and only when
    // it is not 0 (vllm/entrypoints/openai/chat_completion/serving.py: `if self.enable_prompt_tokens_details
    // and final_res.num_cached_tokens`); a mock with a prefix cache behaves as if the flag were on.
    // Ollama's OpenAI layer never reports it (openai/openai.go builds usage from prompt_eval_count).
    if (context.kind === 'openai' && admitted.cachedTokens > 0)
      usage.prompt_tokens_details = { cached_tokens: admitted.cachedTokens }
  })
}

/** `POST /v1/chat/completions` */
export function handleChatCompletions(request: ApiRequest, response: ServerResponse): void {
  const body = parse(ChatCompletionRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  const prompt = body.messages.map((message) => contentText(message.content)).join('\n')
  generate(
    request,
    response,
    {
      model: body.model,
      prompt,
      stream: body.stream === true,
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    },
    'chat',
  )
}

/** `POST /v1/completions` */
export function handleCompletions(request: ApiRequest, response: ServerResponse): void {
  const body = parse(CompletionRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  generate(
    request,
    response,
    {
      model: body.model,
      prompt: typeof body.prompt === 'string' ? body.prompt : body.prompt.join('\n'),
      stream: body.stream === true,
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      maxTokens: body.max_tokens ?? undefined,
    },
    'completion',
  )
}

/** `POST /v1/embeddings` (float arrays, or base64 float32 as the official `openai` client asks by default). */
export function handleEmbeddings(request: ApiRequest, response: ServerResponse): void {
  const body = parse(EmbeddingsRequest, request.body, response)
  if (body === undefined || findModel(request.context, body.model, response) === undefined) return
  const input = body.input
  // Token-id inputs are embedded by their text form; the mock only needs determinism.
  const texts: string[] =
    typeof input === 'string'
      ? [input]
      : input.length > 0 && typeof input[0] === 'number'
        ? [input.join(' ')]
        : input.map((item) =>
            typeof item === 'string' ? item : Array.isArray(item) ? item.join(' ') : String(item),
          )
  const promptTokens = texts.reduce((sum, text) => sum + estimateTokenCount(text), 0)
  sendJson(response, 200, {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = embedText(text)
      return {
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? embeddingToBase64(vector) : vector,
      }
    }),
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  })
}

/** `GET /v1/models` */
export function handleModels(context: RuntimeContext, response: ServerResponse): void {
  const created = Math.floor(context.startedAtMs / 1000)
  const ownedBy = context.kind === 'ollama' ? 'library' : 'vllm'
  sendJson(response, 200, {
    object: 'list',
    data: [...context.models.values()].map((model) => ({
      id: model.name,
      object: 'model',
      created,
      owned_by: ownedBy,
    })),
  })
}

/**
 * vLLM's error mid-stream (`create_streaming_error_response`): its ErrorResponse as one event, then
 * [DONE]; the same object alone where the answer was not streamed. The chat, completions and
 * speech-to-text renderers all end a failed answer with it.
 */
export function vllmStreamError(message: string): { readonly streamed: string; readonly body: string } {
  const body = JSON.stringify({ error: { message, type: 'InternalServerError', param: null, code: 500 } })
  return { streamed: `data: ${body}\n\ndata: [DONE]\n\n`, body }
}
