/**
 * Finds the error a runtime writes INSIDE a 200 stream, where the status can no longer say it:
 * - Ollama ends an NDJSON stream with a line `{"error":"…"}` (ollama/ollama server/routes.go,
 *   `streamResponse`: once bytes are written, an error is encoded as one more line and the stream ends);
 * - vLLM sends an SSE event `data: {"error":{"message":…,"type":…,"code":400|500}}` before
 *   `data: [DONE]` (vllm-project/vllm vllm/entrypoints/openai/serving_chat.py,
 *   `chat_completion_stream_generator`, via `create_streaming_error_response`);
 * - the Responses API names every event in its data's `type` (vLLM writes `event: <type>` then the
 *   same JSON: vllm/entrypoints/openai/responses/api_router.py `_convert_stream_to_sse_events`), and
 *   fails with `{"type":"error","code":…,"message":…}` or with
 *   `{"type":"response.failed","response":{…,"error":{"code":…,"message":…}}}` (openai/openai-node
 *   src/resources/responses/responses.ts, `ResponseErrorEvent` and `ResponseFailedEvent`; the SDK's
 *   src/core/streaming.ts throws on `event: error`). Only the event's own top-level `type` counts: the
 *   `"error":null` every `response.created` carries, or a nested object typed `error`, is no error.
 * The scan is cheap: a chunk is split into lines only when it contains `"error"` unescaped (inside a
 * generated string the quotes would be escaped), and only the trailing partial line is carried over.
 * It listens beside the client's pipe rather than standing in it: a Transform in the chain cost every
 * streamed chunk a second stream's bookkeeping (proxy bench: about 1.5 times the coordinator's CPU per
 * chunk).
 */
import type { Readable } from 'node:stream'
import { listenToChunks } from './chunk-listener.js'

/** An error line the runtime sent mid-stream. */
export interface StreamError {
  readonly message: string
  /**
   * The status the error names (vLLM's `code`, or a Responses error code mapped to one); 500 when it
   * names none (Ollama's default).
   */
  readonly status: number
}

const ERROR_KEY = Buffer.from('"error"')
const NEWLINE = 0x0a
/** A line longer than this is not an error object a runtime writes: stop carrying it. */
const MAX_CARRIED_BYTES = 64 * 1024

/** Scans every chunk `body` passes to its consumer; read `streamError` once the body has closed. */
export function scanErrors(body: Readable): StreamErrorScanner {
  const scanner = new StreamErrorScanner()
  listenToChunks(body, (chunk) => scanner.chunk(chunk))
  body.once('end', () => scanner.end())
  return scanner
}

/** Remembers the first error line of a stream: give it each chunk, then `end()` when the stream ends. */
export class StreamErrorScanner {
  #carry: Buffer | null = null
  #error: StreamError | null = null

  /** The first error the stream carried, or null. */
  get streamError(): StreamError | null {
    return this.#error
  }

  chunk(chunk: Buffer): void {
    if (this.#error === null) this.#scan(chunk)
  }

  /** The stream ended: its last line may have had no newline. */
  end(): void {
    if (this.#error === null && this.#carry !== null) this.#scanLines(this.#carry)
    this.#carry = null
  }

  #scan(chunk: Buffer): void {
    const data = this.#carry === null ? chunk : Buffer.concat([this.#carry, chunk])
    const end = data.lastIndexOf(NEWLINE)
    const rest = data.subarray(end + 1)
    this.#carry = rest.length === 0 || rest.length > MAX_CARRIED_BYTES ? null : Buffer.from(rest)
    if (end >= 0) this.#scanLines(data.subarray(0, end + 1))
  }

  #scanLines(lines: Buffer): void {
    if (lines.indexOf(ERROR_KEY) < 0) return
    for (const line of lines.toString('utf8').split('\n')) {
      const error = parseErrorLine(line)
      if (error !== null) {
        this.#error = error
        return
      }
    }
  }
}

/**
 * `ResponseError.code`s that blame the request, not the runtime (openai-node
 * src/resources/responses/responses.ts `ResponseError`): a 400, so that they cool nothing down.
 * `server_error`, `vector_store_timeout` and codes not listed here are the runtime's (500).
 */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_prompt',
  'data_residency_mismatch',
  'bio_policy',
  'invalid_image',
  'invalid_image_format',
  'invalid_base64_image',
  'invalid_image_url',
  'image_too_large',
  'image_too_small',
  'image_parse_error',
  'image_content_policy_violation',
  'invalid_image_mode',
  'image_file_too_large',
  'unsupported_image_media_type',
  'empty_image_file',
  'failed_to_download_image',
  'image_file_not_found',
])
/** A runtime's rate limit: the node is busy, the request is not at fault. */
const RATE_LIMIT_CODE = 'rate_limit_exceeded'
const STATUS_RATE_LIMITED = 429

/** The error an NDJSON line or an SSE `data:` line carries, or null. */
export function parseErrorLine(line: string): StreamError | null {
  let text = line.trim()
  if (text.startsWith('data:')) text = text.slice(5).trim()
  if (!text.startsWith('{') || !text.includes('"error"')) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  if ('error' in parsed) {
    const { error } = parsed
    if (typeof error === 'string') return { message: error, status: 500 }
    if (typeof error === 'object' && error !== null) return describeErrorObject(error)
  }
  if (!('type' in parsed)) return null
  // The Responses API's events: the error is the event itself, or the failed response's `error`.
  if (parsed.type === 'error') return describeErrorObject(parsed)
  if (parsed.type === 'response.failed') {
    const response = 'response' in parsed ? parsed.response : null
    const error =
      typeof response === 'object' && response !== null && 'error' in response ? response.error : null
    if (typeof error === 'object' && error !== null) return describeErrorObject(error)
    return { message: 'response.failed', status: 500 }
  }
  return null
}

/** `{ message, code }` as vLLM (an HTTP status) and the Responses API (a string code) write them. */
function describeErrorObject(error: object): StreamError {
  const message = 'message' in error && typeof error.message === 'string' ? error.message : 'error'
  const code = 'code' in error ? error.code : undefined
  return { message, status: statusOfCode(code) }
}

function statusOfCode(code: unknown): number {
  if (typeof code === 'string') {
    if (REQUEST_ERROR_CODES.has(code)) return 400
    if (code === RATE_LIMIT_CODE) return STATUS_RATE_LIMITED
  }
  const status = typeof code === 'number' || typeof code === 'string' ? Number(code) : Number.NaN
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500
}
