/**
 * An upstream response body that broke off (the runtime died, or went silent past `bodyTimeout`) as the
 * coded error a client sees when nothing of the response has been sent yet: fastify hands a failing
 * stream's error to the route's error handler, which would otherwise render undici's error as a 500.
 */
import type { FastifyError } from 'fastify'
import { errorCode } from '../error-code.js'
import { UpstreamTimeoutError, UpstreamUnreachableError } from '../errors.js'

/** undici's code for `bodyTimeout`: no chunk within the idle limit. */
export const BODY_TIMEOUT_CODE = 'UND_ERR_BODY_TIMEOUT'

/** Codes of a connection that broke while the body was arriving. */
const BROKEN_BODY_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
])

/**
 * Whether a response body failed because of the runtime: the connection broke mid-answer, or the
 * runtime went silent past `bodyTimeout`. A client leaving is an abort, not one of these.
 */
export function isUpstreamBodyFailure(error: unknown): boolean {
  const code = errorCode(error)
  return code === BODY_TIMEOUT_CODE || (code !== undefined && BROKEN_BODY_CODES.has(code))
}

/** The coded 504/502 for an upstream body failure; undefined for any other error. */
export function codedUpstreamBodyError(error: unknown): FastifyError | undefined {
  const code = errorCode(error)
  if (code === BODY_TIMEOUT_CODE) {
    return new UpstreamTimeoutError('the runtime went silent in the middle of its answer', { cause: error })
  }
  if (code !== undefined && BROKEN_BODY_CODES.has(code)) {
    return new UpstreamUnreachableError('the runtime broke off in the middle of its answer', { cause: error })
  }
  return undefined
}
