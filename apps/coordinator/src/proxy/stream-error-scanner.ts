/**
 * Finds the error a runtime writes INSIDE a 200 stream, where the status can no longer say it:
 * - Ollama ends an NDJSON stream with a line `{"error":"…"}` (ollama/ollama server/routes.go,
 *   `streamResponse`: once bytes are written, an error is encoded as one more line and the stream ends);
 * - vLLM sends an SSE event `data: {"error":{"message":…,"type":…,"code":400|500}}` before
 *   `data: [DONE]` (vllm-project/vllm vllm/entrypoints/openai/serving_chat.py,
 *   `chat_completion_stream_generator`, via `create_streaming_error_response`).
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
  /** The status the error names (vLLM's `code`); 500 when it names none (Ollama's default). */
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
  if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) return null
  const error = parsed.error
  if (typeof error === 'string') return { message: error, status: 500 }
  if (typeof error !== 'object' || error === null) return null
  const message = 'message' in error && typeof error.message === 'string' ? error.message : 'error'
  const code = 'code' in error ? Number(error.code) : Number.NaN
  return { message, status: Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500 }
}
