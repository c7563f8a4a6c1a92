/**
 * What a runtime's response head means for the request, before any byte reaches the client: an answer
 * to pass on, or a reason to try another node.
 */
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { NodeView } from '../core/node-view.js'
import { UpstreamCredentialsRefusedError } from '../errors.js'

export type UpstreamVerdictKind =
  /** Pass it on: a success, or an error that is the request's own (4xx but 401 and 403, thrown instead). */
  | 'answer'
  /** 502, 503, 504: the runtime is overloaded or a gateway in front of it failed. The node's trouble. */
  | 'unavailable'
  /** Any other 5xx: the runtime failed this request; another node tells whether the request is to blame. */
  | 'server-error'
  /** 404 naming the model: the node's model list went stale. */
  | 'model-missing'
  /**
   * 401 or 403 naming the model: the node's key may not use this model (a gateway such as LiteLLM
   * used as the runtime: "key not allowed to access model"). The node is skipped for the model.
   */
  | 'model-refused'
  /**
   * Any other 404: the runtime has no such route (an older Ollama without `/v1/responses`, gin's "404
   * page not found", FastAPI's "Not Found"), or not this resource. Another node may have it; passed on
   * when none does.
   */
  | 'route-missing'
  /** A status outside 100-599 (broken proxies send them): not HTTP a client can be given. */
  | 'invalid-status'

export interface UpstreamVerdict {
  readonly kind: UpstreamVerdictKind
  /** The body to send or discard: the response's own, or its bytes already read (a judged 404). */
  readonly body: Readable
  /** What the runtime said, where it was read to judge it (a 401 or 403 naming the model): for the log. */
  readonly said?: string
}

const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])
/**
 * The runtime refused the credential it was sent: the node's registered key, never the client's
 * (`buildUpstreamRequestHeaders` drops `authorization` and `x-api-key`).
 */
const CREDENTIALS_REFUSED_STATUSES: ReadonlySet<number> = new Set([401, 403])
/** A 404 body bigger than this is not a runtime's "model not found". */
const MAX_JUDGED_BODY_BYTES = 64 * 1024

/**
 * Judges a response head. A 401 or 403 that does not name the model is thrown as
 * `UpstreamCredentialsRefusedError`, its body dropped: passed on, the client would read the runtime's
 * complaint about a key it never sent. The forwarder treats the throw as a node it could not use
 * (`describeFailure`: the error is an `UpstreamUnreachableError`): it counts against the node and the
 * request goes to another node, or the client gets the coded 502.
 * @param node names the node in that error's message.
 * @throws UpstreamCredentialsRefusedError
 */
export async function judgeHead(
  response: Dispatcher.ResponseData,
  model: string,
  node: Pick<NodeView, 'name'>,
): Promise<UpstreamVerdict> {
  const { statusCode, body } = response
  if (statusCode < 100 || statusCode > 599) return { kind: 'invalid-status', body }
  if (UNAVAILABLE_STATUSES.has(statusCode)) return { kind: 'unavailable', body }
  if (statusCode >= 500) return { kind: 'server-error', body }
  if (statusCode === 404) return judgeNotFound(response, model)
  if (CREDENTIALS_REFUSED_STATUSES.has(statusCode)) return judgeRefused(response, model, node)
  return { kind: 'answer', body }
}

/**
 * A 401 or 403. One that names the model refused the node's key for that model alone: `model-refused`,
 * the node skipped for the model as for a 404 naming it. Any other is thrown as the node's refused
 * credentials.
 */
async function judgeRefused(
  response: Dispatcher.ResponseData,
  model: string,
  node: Pick<NodeView, 'name'>,
): Promise<UpstreamVerdict> {
  const said = await readSmall(response.body)
  if (model !== '' && said.includes(model))
    return { kind: 'model-refused', body: Readable.from([said]), said }
  throw credentialsRefused(node, response.statusCode, said)
}

/** The coded 502 for a runtime that refused the node's key, with what it said as the cause (for the log). */
export function credentialsRefused(
  node: Pick<NodeView, 'name'>,
  statusCode: number,
  said: string,
): InstanceType<typeof UpstreamCredentialsRefusedError> {
  return new UpstreamCredentialsRefusedError(`node ${node.name}'s runtime`, statusCode, {
    cause: new Error(`the runtime answered HTTP ${statusCode}: ${said}`),
  })
}

/** Up to `MAX_JUDGED_BODY_BYTES` of a body as text; a longer body is cut there and its connection dropped. */
async function readSmall(body: Readable): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const part of body) {
    parts.push(part as Buffer)
    size += (part as Buffer).length
    if (size >= MAX_JUDGED_BODY_BYTES) break
  }
  // Leaving the loop early destroys the body: undici then gives up that socket, nothing else.
  return Buffer.concat(parts).subarray(0, MAX_JUDGED_BODY_BYTES).toString('utf8')
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
  return { kind: namesModel ? 'model-missing' : 'route-missing', body: Readable.from([bytes]) }
}

async function* concatenate(read: readonly Buffer[], rest: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  yield* read
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value as Buffer
}
