/**
 * `POST /v1/messages` (the Anthropic Messages API), as Ollama (ollama/ollama anthropic/anthropic.go),
 * vLLM (vllm/entrypoints/anthropic/) and llama.cpp server serve it: one text content block; streamed
 * as Anthropic's SSE events `message_start`, `content_block_start`, `content_block_delta`…,
 * `content_block_stop`, `message_delta`, `message_stop`. Errors in Anthropic's shape.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { formatZodError } from '@llm-fleet/types'
import { z } from 'zod'
import { type GenerationRenderer, runGeneration, runnerFor } from './generation-response.js'
import { sendJson } from './http-exchange.js'
import { estimateTokenCount, hashString, outputLengthTokens, tokenText } from './output-length.js'
import { type ApiRequest, servedModel } from './runtime-context.js'

const SSE = 'text/event-stream; charset=utf-8'

const MessagesRequest = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1),
  system: z.unknown().optional(),
  stream: z.boolean().optional(),
})

/** Anthropic's error body. */
export function sendAnthropicError(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  sendJson(response, status, { type: 'error', error: { type, message } })
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  return JSON.stringify(content ?? '').replace(/[^a-z ]+/gi, ' ')
}

export function handleMessages(request: ApiRequest, response: ServerResponse): void {
  const { context, fault } = request
  const parsed = MessagesRequest.safeParse(request.body)
  if (!parsed.success) {
    sendAnthropicError(response, 400, 'invalid_request_error', formatZodError(parsed.error))
    return
  }
  const body = parsed.data
  const isKnown = servedModel(context, body.model)
  if (isKnown === undefined) {
    sendAnthropicError(response, 404, 'not_found_error', `model '${body.model}' not found`)
    return
  }
  const prompt = body.messages.map((message) => contentText(message.content)).join('\n')
  const seed = hashString(prompt)
  const outputTokens = outputLengthTokens(seed, body.max_tokens)
  const inputTokens = estimateTokenCount(prompt)
  const stopReason = outputTokens >= body.max_tokens ? 'max_tokens' : 'end_turn'
  const id = `msg_${randomUUID().replaceAll('-', '')}`
  const isStreaming = body.stream === true
  const collected: string[] = []
  const event = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`
  const message = (text: string | null) => ({
    id,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: text === null ? [] : [{ type: 'text', text }],
    stop_reason: text === null ? null : stopReason,
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: text === null ? 0 : outputTokens },
  })
  let hasOpened = false
  const open = (): string => {
    if (hasOpened) return ''
    hasOpened = true
    return (
      event('message_start', { message: message(null) }) +
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      event('ping', {})
    )
  }

  const renderer: GenerationRenderer = {
    isStreaming,
    streamContentType: SSE,
    renderTokens(firstIndex, count) {
      let text = isStreaming ? open() : ''
      for (let i = 0; i < count; i++) {
        const token = tokenText(seed, firstIndex + i)
        collected.push(token)
        if (isStreaming) {
          text += event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: token } })
        }
      }
      return text
    },
    renderEnd() {
      if (!isStreaming) return JSON.stringify(message(collected.join('')))
      return (
        open() +
        event('content_block_stop', { index: 0 }) +
        event('message_delta', {
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: outputTokens },
        }) +
        event('message_stop', {})
      )
    },
    renderGarbage() {
      return isStreaming ? 'event: message_start\ndata: {"type":\n\n' : '{"id":'
    },
  }
  const runner = runnerFor(context.kind, isKnown.name)
  runGeneration(response, renderer, {
    scheduler: context.scheduler,
    counters: context.counters,
    fault,
    outputTokens,
    ...runner,
  })
}
