/**
 * `Authorization: Bearer <token>` checked in constant time against one or more accepted tokens.
 * Registered inside the scope it protects (the agent API with AGENT_TOKEN; the inference routes with
 * API_KEYS), each with its own error so that each API renders 401 in its own format.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export interface BearerAuthOptions {
  /** Accepted tokens; an empty list turns the check off. */
  readonly tokens: readonly string[]
  /** The error thrown for a missing or wrong token (a coded 401). */
  readonly createError: () => Error
  /** Also accept the token as `x-api-key` (how the Anthropic SDKs send their key). */
  readonly acceptsXApiKey?: boolean
}

/**
 * A checker for `Authorization` header values. Tokens are compared as SHA-256 digests, so every
 * comparison is over 32 bytes whatever the lengths (timingSafeEqual requires equal lengths, and
 * comparing lengths first would leak them), and every accepted token is compared, match or not.
 */
export function createBearerMatcher(
  tokens: readonly string[],
): (authorization: string | undefined) => boolean {
  const digests = tokens.map(sha256)
  return (authorization) => {
    if (authorization === undefined) return false
    const match = /^Bearer +(\S+) *$/i.exec(authorization)
    if (match === null) return false
    const presented = sha256(match[1] as string)
    let isMatch = false
    for (const digest of digests) isMatch = timingSafeEqual(digest, presented) || isMatch
    return isMatch
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

const plugin: FastifyPluginAsync<BearerAuthOptions> = async (app, options) => {
  if (options.tokens.length === 0) return
  const matches = createBearerMatcher(options.tokens)
  // onRequest runs before the body is read: an unauthenticated client cannot make us parse 1 MiB.
  app.addHook('onRequest', async (request) => {
    if (matches(request.headers.authorization)) return
    const apiKey = request.headers['x-api-key']
    if (options.acceptsXApiKey === true && typeof apiKey === 'string' && matches(`Bearer ${apiKey}`)) return
    throw options.createError()
  })
}

export const bearerAuth = fp(plugin, { name: 'bearer-auth', fastify: '5.x' })
