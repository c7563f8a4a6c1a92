/**
 * What a runtime's response head means for the request, before any byte reaches the client: an answer
 * to pass on, or a reason to try another node.
 */
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'

export type UpstreamVerdictKind =
  /** Pass it on: a success, or an error that is the request's own (4xx). */
  | 'answer'
  /** 502, 503, 504: the runtime is overloaded or a gateway in front of it failed. The node's trouble. */
  | 'unavailable'
  /** Any other 5xx: the runtime failed this request; another node tells whether the request is to blame. */
  | 'server-error'
  /** 404 naming the model: the node's model list went stale. */
  | 'model-missing'
  /** A status outside 100-599 (broken proxies send them): not HTTP a client can be given. */
  | 'invalid-status'

export interface UpstreamVerdict {
  readonly kind: UpstreamVerdictKind
  /** The body to send or discard: the response's own, or its bytes already read (a judged 404). */
  readonly body: Readable
}

const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])
/** A 404 body bigger than this is not a runtime's "model not found". */
const MAX_JUDGED_BODY_BYTES = 64 * 1024

export async function judgeHead(response: Dispatcher.ResponseData, model: string): Promise<UpstreamVerdict> {
  const { statusCode, body } = response
  if (statusCode < 100 || statusCode > 599) return { kind: 'invalid-status', body }
  if (UNAVAILABLE_STATUSES.has(statusCode)) return { kind: 'unavailable', body }
  if (statusCode >= 500) return { kind: 'server-error', body }
  if (statusCode === 404) return judgeNotFound(response, model)
  return { kind: 'answer', body }
}

/**
 * Ollama says `{"error":"model 'x' not found"}` (server/routes.go), vLLM "The model `x` does not exist."
 * (vllm/entrypoints/openai/serving_engine.py `_check_model`): both name the model. At most
 * `MAX_JUDGED_BODY_BYTES` are read; what was read is handed on unchanged when it says something else.
 */
async function judgeNotFound(response: Dispatcher.ResponseData, model: string): Promise<UpstreamVerdict> {
  const declared = Number(response.headers['content-length'])
  if (declared > MAX_JUDGED_BODY_BYTES) return { kind: 'answer', body: response.body }
  const parts: Buffer[] = []
  let size = 0
  const iterator = response.body[Symbol.asyncIterator]()
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const part = next.value as Buffer
    parts.push(part)
    size += part.length
    // Too big for an error message: send on what was read, then the rest.
    if (size > MAX_JUDGED_BODY_BYTES)
      return { kind: 'answer', body: Readable.from(concatenate(parts, iterator)) }
  }
  const bytes = Buffer.concat(parts)
  const text = bytes.toString('utf8')
  const namesModel = (model !== '' && text.includes(model)) || /model/i.test(text)
  return { kind: namesModel ? 'model-missing' : 'answer', body: Readable.from([bytes]) }
}

async function* concatenate(read: readonly Buffer[], rest: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  yield* read
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value as Buffer
}
