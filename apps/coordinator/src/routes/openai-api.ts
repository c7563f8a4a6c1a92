/**
 * The OpenAI API (`/v1/*`): chat, completions and embeddings forwarded to a node, the model list
 * answered here. Errors render in OpenAI's shape, `{ error: { message, type, param, code } }`.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { InvalidApiKeyError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import { describeError } from './internal/describe-error.js'
import { acceptRawBodies } from './internal/inference-body.js'
import { type InferenceApiOptions, proxyInference, servedModels } from './internal/proxy-inference.js'

const FORWARDED_ROUTES = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings'] as const

export const openAiApi: FastifyPluginAsync<InferenceApiOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message, code } = describeError(error, request, reply)
    return reply
      .code(statusCode)
      .send({ error: { message, type: openAiErrorType(statusCode), param: null, code } })
  })
  acceptRawBodies(app)
  await app.register(bearerAuth, { tokens: options.apiKeys, createError: () => new InvalidApiKeyError() })

  for (const route of FORWARDED_ROUTES) {
    app.post(route, { bodyLimit: options.bodyLimitBytes }, (request, reply) =>
      proxyInference(request, reply, options.forwarder, {
        apiKind: 'openai',
        route,
        isStreamingByDefault: false,
      }),
    )
  }

  app.get('/v1/models', async () => ({
    object: 'list',
    data: servedModels(options.registry.snapshot(), 'openai').map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'llm-fleet',
    })),
  }))
}

/** OpenAI's error `type` for a status, as its SDKs expect it. */
function openAiErrorType(statusCode: number): string {
  if (statusCode === 401) return 'authentication_error'
  if (statusCode === 429) return 'rate_limit_error'
  if (statusCode >= 500) return 'server_error'
  return 'invalid_request_error'
}
