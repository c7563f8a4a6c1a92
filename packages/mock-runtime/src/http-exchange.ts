/** Reading request bodies and writing plain replies on node:http, with the instance header on every reply. */
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Largest request body accepted, bytes. Ollama and vLLM set no limit (chats carry photos as base64), so
 * the mock reads all a coordinator forwards under its default INFERENCE_BODY_LIMIT_BYTES, with room to
 * spare; the cap only keeps a runaway client from filling a test machine's memory.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024

/** A body that could not be read as JSON. */
export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string }

/** A body read whole, or too large to read. */
export type RawBodyResult = { ok: true; value: Buffer } | { ok: false; status: 413; message: string }

/** Reads a request body as bytes, up to `MAX_BODY_BYTES`. */
export async function readRawBody(request: IncomingMessage): Promise<RawBodyResult> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: 'request body too large' }
    chunks.push(buffer)
  }
  return { ok: true, value: Buffer.concat(chunks) }
}

/** Reads and parses a JSON request body. An empty body is an error, as it is for the real runtimes. */
export async function readJsonBody(request: IncomingMessage): Promise<BodyResult> {
  const raw = await readRawBody(request)
  if (!raw.ok) return raw
  const text = raw.value.toString('utf8')
  if (text.trim() === '') return { ok: false, status: 400, message: 'missing request body' }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    // The parse failure is the client's mistake and the answer: report it rather than rethrow.
    return { ok: false, status: 400, message: `invalid JSON: ${(error as Error).message}` }
  }
}

/** Sends `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

/** Sends plain text with `status`. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain',
): void {
  response.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}
