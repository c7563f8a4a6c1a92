/**
 * What a failed attempt means before any byte reached the client: the coded error to render, and
 * whether another node may succeed; and how to drop a response the forwarder will not send on.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { NodeView } from '../core/node-view.js'
import { errorCode } from '../error-code.js'
import { UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.js'

/**
 * Errors that mean the request never reached a runtime able to answer: connecting failed, or the
 * connection broke before any response. The next node may well succeed.
 */
const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
])

export interface UpstreamFailure {
  readonly error: Error & { statusCode: number }
  readonly isRetryable: boolean
}

/** Maps an undici or network error to the coded error to render, and whether another node may help. */
export function describeFailure(error: unknown, node: Pick<NodeView, 'name'>): UpstreamFailure {
  const code = errorCode(error)
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    // Minutes already went by (a model may have been loading); another node would start over.
    return {
      error: new UpstreamTimeoutError(`node ${node.name} sent no response in time`, { cause: error }),
      isRetryable: false,
    }
  }
  if (error instanceof UpstreamUnreachableError) return { error, isRetryable: true }
  return {
    error: new UpstreamUnreachableError(`node ${node.name} is unreachable`, { cause: error }),
    isRetryable: code !== undefined && UNREACHABLE_ERROR_CODES.has(code),
  }
}

/** Drops a response we will not send, freeing its connection; a failure here only loses that socket. */
export function discard(body: Readable, log: { warn(fields: object, message: string): void }): void {
  const onError = (error: unknown) => log.warn({ err: error }, 'discarding an upstream response failed')
  // undici's dump reads a little and then gives up the socket: a body that hangs costs nothing.
  if (isUndiciBody(body)) body.dump().catch(onError)
  else body.once('error', onError).resume()
}

function isUndiciBody(body: Readable): body is Dispatcher.ResponseData['body'] {
  return typeof (body as { dump?: unknown }).dump === 'function'
}
