/**
 * Inference bodies: kept as the raw bytes to forward, parsed once to find the model, the stream flag,
 * the answer's length limit and the inline media (base64 images) that the prompt-size estimate must
 * not count as text.
 * The runtime validates everything else; the coordinator only needs what routing depends on.
 */
import { MAX_MODEL_NAME_LENGTH } from '@llm-fleet/types'
import type { FastifyInstance } from 'fastify'
import type { ApiKind, RequestProbe } from '../../core/balancer/strategy.js'
import { InvalidInferenceRequestError } from '../../errors.js'
import { findInlineMedia, type InlineMedia } from '../../learning/inline-media.js'

/** How a route's bodies read (`InferenceRoute` carries these). */
export interface BodyRules {
  readonly apiKind: ApiKind
  /** Ollama's chat and generate stream unless the body says `"stream": false`; OpenAI's do not. */
  readonly isStreamingByDefault: boolean
  /** Another body field that may name the model (Ollama `/api/show`: `name`). */
  readonly legacyModelField?: string
}

export interface InferenceBody {
  /** The bytes as received, forwarded unchanged. */
  readonly raw: Buffer
  readonly model: string
  /** Whether the client asked for a streamed response (or the API streams unless told not to). */
  readonly isStreaming: boolean
  readonly media: InlineMedia
  /** The most tokens the client lets the answer have, when it says (`maxOutputTokensOf`). */
  readonly maxOutputTokens: number | undefined
  /** The content type to forward with `raw`; absent: `application/json`, whatever the client said. */
  readonly contentType?: string
  /**
   * What the balancer learns from a body whose bytes are not prompt text (an upload, form-body.ts);
   * absent: `probeOf(raw, media, maxOutputTokens)`.
   */
  readonly probe?: RequestProbe
}

/**
 * The answer's token limit where the route's API puts it: Ollama's `options.num_predict` (−1 and −2
 * mean no limit; Ollama ignores a top-level `max_tokens`), or OpenAI's `max_completion_tokens`, its
 * older `max_tokens` (also Anthropic's) and the Responses API's `max_output_tokens`. A positive
 * integer, or undefined.
 */
export function maxOutputTokensOf(body: Record<string, unknown>, apiKind: ApiKind): number | undefined {
  const candidates =
    apiKind === 'ollama'
      ? [fieldOf(body.options, 'num_predict')]
      : [body.max_completion_tokens, body.max_tokens, body.max_output_tokens]
  return candidates.find(isTokenLimit)
}

const isTokenLimit = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0

const fieldOf = (value: unknown, field: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined

/**
 * Makes every body in this scope arrive as a Buffer, whatever its content type: Ollama's own examples
 * use `curl -d`, which labels JSON as form-encoded, and Ollama accepts it. Call inside the API's plugin.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  const keepRaw = (_request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => {
    done(null, body)
  }
  app.removeAllContentTypeParsers()
  // JSON by name as well: fastify caches exact matches, while the catch-all parses the header anew
  // for every request.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRaw)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, keepRaw)
}

const NOT_AN_OBJECT = 'The request body must be a JSON object'
/** The 400's message for a body that names no model. */
export const NO_MODEL = 'model: is required (a model name)'

/** Throws `InvalidInferenceRequestError` (400) for a model name longer than the registry keeps. */
export function checkModelLength(model: string): void {
  if (model.length > MAX_MODEL_NAME_LENGTH) {
    throw new InvalidInferenceRequestError(`model: must be at most ${MAX_MODEL_NAME_LENGTH} characters`)
  }
}

/**
 * Finds the model and the stream flag. Throws `InvalidInferenceRequestError` (400) for a missing body,
 * invalid JSON, a body that is not an object, or a missing or empty `model`.
 */
export function parseInferenceBody(body: unknown, rules: BodyRules): InferenceBody {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new InvalidInferenceRequestError(NOT_AN_OBJECT)
  const parsed = parseNamingModel(body, rules)
  if (parsed === null) throw new InvalidInferenceRequestError(NO_MODEL)
  return parsed
}

/**
 * As `parseInferenceBody`, but null for an empty body or a JSON object that names no model: on the
 * catch-all `/v1/*` route, a path that acts on something stored (`POST /v1/responses/{id}/cancel`),
 * which the coordinator does not serve. Invalid JSON and a body that is not an object stay the 400.
 */
export function parseNamingModel(body: unknown, rules: BodyRules): InferenceBody | null {
  if (!Buffer.isBuffer(body) || body.length === 0) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new InvalidInferenceRequestError('The request body is not valid JSON', { cause: error })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInferenceRequestError(NOT_AN_OBJECT)
  }
  let model = 'model' in parsed ? parsed.model : undefined
  const { legacyModelField } = rules
  if ((model === undefined || model === '') && legacyModelField !== undefined && legacyModelField in parsed) {
    model = (parsed as Record<string, unknown>)[legacyModelField]
  }
  if (model === undefined || model === null || model === '') return null
  if (typeof model !== 'string') throw new InvalidInferenceRequestError(NO_MODEL)
  checkModelLength(model)
  const stream = 'stream' in parsed ? parsed.stream : undefined
  return {
    raw: body,
    model,
    isStreaming: typeof stream === 'boolean' ? stream : rules.isStreamingByDefault,
    media: findInlineMedia(parsed as Record<string, unknown>, body),
    maxOutputTokens: maxOutputTokensOf(parsed as Record<string, unknown>, rules.apiKind),
  }
}
