/** The client API key check of the inference routes (`API_KEYS`). */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { InvalidApiKeyError } from '../../errors.js'

/**
 * An `onRequest` hook that requires `Authorization: Bearer <key>` with one of `apiKeys`. Keys are
 * compared as SHA-256 digests with `timingSafeEqual`, over every key without stopping early, so the
 * time taken says nothing about how much of a key matched or about its length.
 */
export function requireApiKey(apiKeys: readonly string[]): onRequestHookHandler {
  const digests = apiKeys.map(digest)
  return (request, _reply, done) => {
    const presented = bearerToken(request.headers.authorization)
    if (presented === null) {
      done(new InvalidApiKeyError())
      return
    }
    const presentedDigest = digest(presented)
    let isValid = false
    for (const expected of digests) {
      if (timingSafeEqual(expected, presentedDigest)) isValid = true
    }
    done(isValid ? undefined : new InvalidApiKeyError())
  }
}

function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null
  const match = /^Bearer +(\S+) *$/i.exec(authorization)
  return match?.[1] ?? null
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}
