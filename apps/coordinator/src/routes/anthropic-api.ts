/**
 * The Anthropic Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`), which Ollama,
 * vLLM and llama.cpp server serve: forwarded to a node like chat, errors in Anthropic's shape
 * (`{ type: 'error', error: { type, message } }`, as the Anthropic SDKs read it). The Anthropic SDKs
 * send their key as `x-api-key`, so that header is accepted as well as `Authorization: Bearer`.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { InvalidApiKeyError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import { describeError } from './internal/describe-error.js'
import { acceptRawBodies } from './internal/inference-body.js'
import { type InferenceApiOptions, proxyInference } from './internal/proxy-inference.js'

const FORWARDED_ROUTES = ['/v1/messages', '/v1/messages/count_tokens'] as const

export const anthropicApi: FastifyPluginAsync<InferenceApiOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message } = describeError(error, request, reply)
    return reply.code(statusCode).send(anthropicError(statusCode, message))
  })
  acceptRawBodies(app)
  await app.register(bearerAuth, {
    tokens: options.apiKeys,
    createError: () => new InvalidApiKeyError(),
    acceptsXApiKey: true,
  })
  for (const route of FORWARDED_ROUTES) {
    app.post(route, { bodyLimit: options.bodyLimitBytes }, (request, reply) =>
      proxyInference(request, reply, options.forwarder, {
        apiKind: 'openai',
        route,
        isStreamingByDefault: false,
      }),
    )
  }
}

/** Anthropic's error body (docs.anthropic.com "Errors"): the type follows the status. */
export function anthropicError(statusCode: number, message: string) {
  return { type: 'error', error: { type: anthropicErrorType(statusCode), message } }
}

function anthropicErrorType(statusCode: number): string {
  if (statusCode === 401) return 'authentication_error'
  if (statusCode === 403) return 'permission_error'
  if (statusCode === 404) return 'not_found_error'
  if (statusCode === 413) return 'request_too_large'
  if (statusCode === 429) return 'rate_limit_error'
  if (statusCode === 503 || statusCode === 529) return 'overloaded_error'
  if (statusCode >= 500) return 'api_error'
  return 'invalid_request_error'
}
