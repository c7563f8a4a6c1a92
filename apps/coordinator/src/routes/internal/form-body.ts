/**
 * Upload bodies (`multipart/form-data`: OpenAI's audio transcriptions and translations): the model, the
 * stream flag and the answer's token limit read from their form fields, the bytes forwarded as they
 * came with the client's own content type (it carries the boundary), and a probe that does not take
 * the audio for prompt text.
 */
import type { RequestProbe } from '../../core/balancer/strategy.js'
import { InvalidInferenceRequestError } from '../../errors.js'
import { NO_MEDIA } from '../../learning/inline-media.js'
import { type BodyRules, checkModelLength, type InferenceBody, NO_MODEL } from './inference-body.js'
import { readMultipartFields } from './multipart-fields.js'

/**
 * Prompt tokens an upload counts as, whatever its bytes: Whisper's encoder turns a clip into 1500
 * positions (`max_source_positions` in every openai/whisper-* config.json), as vLLM pads each clip to
 * its 30 s window. An estimate of the order, as the bytes / 4 of text is; a longer file that vLLM cuts
 * into several windows counts as one.
 */
export const UPLOAD_PROMPT_TOKENS = 1500

/** The form fields routing reads: vLLM's `TranscriptionRequest` and `TranslationRequest` carry all three. */
const ROUTING_FIELDS: ReadonlySet<string> = new Set(['model', 'stream', 'max_completion_tokens'])

/** No prefix blocks: each upload has its own random boundary, so no two bodies share a prefix. */
const NO_PREFIX_HASHES = new Int32Array(0)

/** Whether a `Content-Type` announces a multipart form (the media type is case-insensitive). */
export function isMultipartForm(contentType: string | undefined): contentType is string {
  return contentType !== undefined && /^\s*multipart\/form-data\s*(;|$)/i.test(contentType)
}

/**
 * Finds the model (400 when missing or empty, naming `model`), the stream flag and the answer's token
 * limit in a multipart body; the bytes are forwarded unchanged, with `contentType`. Throws
 * `InvalidInferenceRequestError` (400) for a body that is not valid multipart.
 */
export async function parseFormInferenceBody(
  body: unknown,
  contentType: string,
  rules: BodyRules,
): Promise<InferenceBody> {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new InvalidInferenceRequestError('The request body is empty: expected multipart/form-data')
  }
  const fields = await readMultipartFields(body, contentType, ROUTING_FIELDS)
  const model = fields.get('model')
  if (model === undefined || model === '') throw new InvalidInferenceRequestError(NO_MODEL)
  checkModelLength(model)
  const stream = formBoolean(fields.get('stream'))
  const maxOutputTokens = formTokenLimit(fields.get('max_completion_tokens'))
  const probe: RequestProbe = {
    promptTokens: UPLOAD_PROMPT_TOKENS,
    prefixHashes: NO_PREFIX_HASHES,
    maxOutputTokens,
  }
  return {
    raw: body,
    model,
    isStreaming: stream ?? rules.isStreamingByDefault,
    media: NO_MEDIA,
    maxOutputTokens,
    contentType,
    probe,
  }
}

/**
 * A form value as pydantic reads a `bool` field from a string (vLLM's `stream: bool | None`): `true`,
 * `on`, `yes`, `1`, `t`, `y` and their negations, in any case. Anything else is for the runtime to
 * refuse; routing treats it as absent.
 */
function formBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  const word = value.toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  return undefined
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'on', 't', 'true', 'y', 'yes'])
const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'off', 'f', 'false', 'n', 'no'])

/** A positive whole number of tokens, written in decimal; undefined otherwise. */
function formTokenLimit(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined
  const tokens = Number(value)
  return tokens > 0 ? tokens : undefined
}
