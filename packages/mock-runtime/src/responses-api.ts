/**
 * `POST /v1/responses` (OpenAI Responses API), as vLLM (vllm/entrypoints/openai/serving_responses.py)
 * and Ollama (ollama/ollama openai/responses.go) serve it for text: one message output item with one
 * `output_text` part; streamed as the typed SSE events `response.created`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.completed`.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { formatZodError } from '@llm-fleet/types'
import { z } from 'zod'
import { type GenerationRenderer, runGeneration, runnerFor } from './generation-response.js'
import { sendOpenAiError } from './openai-api.js'
import { estimateTokenCount, hashString, outputLengthTokens, tokenText } from './output-length.js'
import { type ApiRequest, servedModel } from './runtime-context.js'

const SSE = 'text/event-stream; charset=utf-8'

const ResponsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
})

/** The text a tokenizer would see in `input`: a string, or the text parts of its messages. */
function inputText(input: string | unknown[]): string {
  if (typeof input === 'string') return input
  return JSON.stringify(input).replace(/[^a-z ]+/gi, ' ')
}

export function handleResponses(request: ApiRequest, response: ServerResponse): void {
  const { context, fault } = request
  const parsed = ResponsesRequest.safeParse(request.body)
  if (!parsed.success) {
    sendOpenAiError(response, 400, { message: formatZodError(parsed.error), type: 'invalid_request_error' })
    return
  }
  const body = parsed.data
  const isKnown = servedModel(context, body.model)
  if (isKnown === undefined) {
    sendOpenAiError(response, 404, {
      message: `The model \`${body.model}\` does not exist.`,
      type: 'NotFoundError',
      param: 'model',
      code: 404,
    })
    return
  }
  const prompt = `${body.instructions ?? ''}${inputText(body.input)}`
  const seed = hashString(prompt)
  const maxTokens = body.max_output_tokens ?? undefined
  const outputTokens = outputLengthTokens(seed, maxTokens)
  const inputTokens = estimateTokenCount(prompt)
  const id = `resp_${randomUUID().replaceAll('-', '')}`
  const itemId = `msg_${randomUUID().replaceAll('-', '')}`
  const createdAt = Math.floor(Date.now() / 1000)
  const isStreaming = body.stream === true
  const isIncomplete = maxTokens !== undefined && outputTokens >= maxTokens
  const collected: string[] = []
  let sequence = 0

  const event = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`
  const responseObject = (status: string, text: string) => ({
    id,
    object: 'response',
    created_at: createdAt,
    model: body.model,
    status,
    incomplete_details: isIncomplete && status !== 'in_progress' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    output:
      status === 'in_progress'
        ? []
        : [
            {
              type: 'message',
              id: itemId,
              status: 'completed',
              role: 'assistant',
              content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
            },
          ],
    usage:
      status === 'in_progress'
        ? null
        : {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + outputTokens,
          },
  })
  let hasOpened = false
  const open = (): string => {
    if (hasOpened) return ''
    hasOpened = true
    return (
      event('response.created', { response: responseObject('in_progress', '') }) +
      event('response.in_progress', { response: responseObject('in_progress', '') }) +
      event('response.output_item.added', {
        output_index: 0,
        item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] },
      }) +
      event('response.content_part.added', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      })
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
          text += event('response.output_text.delta', {
            item_id: itemId,
            output_index: 0,
            content_index: 0,
            delta: token,
            logprobs: [],
          })
        }
      }
      return text
    },
    renderEnd() {
      const text = collected.join('')
      const status = isIncomplete ? 'incomplete' : 'completed'
      if (!isStreaming) return JSON.stringify(responseObject(status, text))
      const done = responseObject(status, text)
      return (
        open() +
        event('response.output_text.done', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          text,
          logprobs: [],
        }) +
        event('response.content_part.done', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          part: { type: 'output_text', text, annotations: [] },
        }) +
        event('response.output_item.done', { output_index: 0, item: done.output[0] }) +
        event(isIncomplete ? 'response.incomplete' : 'response.completed', { response: done })
      )
    },
    renderGarbage() {
      return isStreaming ? 'event: response.created\ndata: {"type":\n\n' : '{"id":'
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
