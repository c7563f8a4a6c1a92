/** What the OpenAI, Anthropic and Ollama error handlers share: status, message, code, logging and `Retry-After`. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorCode } from '../../error-code.js'
import { ClientClosedRequestError, namingBodyLimit } from '../../errors.js'
import { codedUpstreamBodyError } from '../../proxy/upstream-body-error.js'

/**
 * Seconds a client should wait after a 503 for lack of nodes. Agents push every few seconds, so a
 * node that recovers or registers is back within about this long; a cool-down ends sooner than a
 * client retrying blindly would notice.
 */
export const NO_CANDIDATE_RETRY_AFTER_S = 5

export interface DescribedError {
  readonly statusCode: number
  readonly message: string
  /** Our stable code (`FLEET_*`), fastify's (`FST_*`), or `FLEET_INTERNAL` for an unexpected error. */
  readonly code: string
}

/**
 * Settles the status and the words for an error; logs unexpected ones (with `err`, once) and hides
 * their details, giving the request id instead; logs expected ones at info. Sets `Retry-After` on 503s.
 */
export function describeError(
  thrown: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): DescribedError {
  // An upstream body that failed before anything reached the client arrives here as undici's error;
  // one cut short because the client left, as a premature close or undici's abort (its `proxied` 499 is
  // logged).
  const error =
    codedUpstreamBodyError(thrown) ?? clientClosed(thrown, reply) ?? bodyTooLarge(thrown, request) ?? thrown
  const statusCode =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
  const isCoded = typeof error.code === 'string' && /^(FLEET|FST)_/.test(error.code)
  if (statusCode === 503) reply.header('retry-after', String(NO_CANDIDATE_RETRY_AFTER_S))
  // The upstream's headers may already be on the reply (its body failed before a byte went out): they
  // describe a body that is not coming, and an SSE content type would make fastify refuse the JSON error.
  reply.removeHeader('content-encoding')
  reply.type('application/json; charset=utf-8')
  if (statusCode >= 500 && !isCoded) {
    request.log.error({ err: error }, 'unexpected error')
    return {
      statusCode: 500,
      message: `Internal server error (request id ${request.id})`,
      code: 'FLEET_INTERNAL',
    }
  }
  const code = isCoded ? error.code : 'FLEET_BAD_REQUEST'
  // Requests that reached a node already have their `proxied` line; the others (400, 401, 404, 503)
  // would otherwise leave no trace, since fastify's own request lines are off.
  if (!ALREADY_LOGGED_CODES.has(code)) request.log.info({ code, statusCode }, error.message)
  return { statusCode, message: error.message, code }
}

/** Codes of failures the forwarder logs itself, in the request's `proxied` line. */
const ALREADY_LOGGED_CODES: ReadonlySet<string> = new Set([
  'FLEET_UPSTREAM_UNREACHABLE',
  'FLEET_UPSTREAM_CREDENTIALS_REFUSED',
  'FLEET_UPSTREAM_TIMEOUT',
  'FLEET_UPSTREAM_INVALID_RESPONSE',
  'FLEET_PROXY_CLIENT_CLOSED',
])

/**
 * How a body fastify was sending fails once the client's socket is gone: as a stream's premature
 * close, or, for the runtime's own body, as undici's abort (the forwarder cancels the upstream request
 * when its client leaves).
 */
const CLIENT_GONE_CODES: ReadonlySet<string | undefined> = new Set([
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_ABORTED',
])

function clientClosed(error: unknown, reply: FastifyReply): FastifyError | undefined {
  if (!reply.raw.destroyed || !CLIENT_GONE_CODES.has(errorCode(error))) return undefined
  return new ClientClosedRequestError({ cause: error })
}

/**
 * A 413 naming its setting. Every route of these APIs that reads a body has INFERENCE_BODY_LIMIT_BYTES:
 * Ollama's refused model-management routes answer before reading theirs.
 */
function bodyTooLarge(error: FastifyError, request: FastifyRequest): FastifyError | undefined {
  return namingBodyLimit(error, request.routeOptions.bodyLimit, 'INFERENCE_BODY_LIMIT_BYTES')
}
