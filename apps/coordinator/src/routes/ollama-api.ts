/**
 * The Ollama API (`/api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings`) forwarded to a node;
 * `/api/tags` and `/api/version` answered here. Errors render in Ollama's shape, `{ error }`.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { InvalidApiKeyError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import { describeError } from './internal/describe-error.js'
import { acceptRawBodies } from './internal/inference-body.js'
import { type InferenceApiOptions, proxyInference, servedModels } from './internal/proxy-inference.js'

/**
 * The Ollama version `/api/version` reports. Nodes may run different versions; this is the API surface
 * the coordinator itself speaks (chat, generate, embed arrived by 0.3), high enough for clients that
 * check it before using those routes.
 */
export const OLLAMA_API_VERSION = '0.5.0'

/** Each forwarded route and whether Ollama streams it when the body does not say `"stream"`. */
const FORWARDED_ROUTES = [
  { route: '/api/chat', isStreamingByDefault: true },
  { route: '/api/generate', isStreamingByDefault: true },
  { route: '/api/embed', isStreamingByDefault: false },
  { route: '/api/embeddings', isStreamingByDefault: false },
] as const

export const ollamaApi: FastifyPluginAsync<InferenceApiOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message } = describeError(error, request, reply)
    return reply.code(statusCode).send({ error: message })
  })
  acceptRawBodies(app)
  await app.register(bearerAuth, { tokens: options.apiKeys, createError: () => new InvalidApiKeyError() })

  for (const { route, isStreamingByDefault } of FORWARDED_ROUTES) {
    app.post(route, { bodyLimit: options.bodyLimitBytes }, (request, reply) =>
      proxyInference(request, reply, options.forwarder, { apiKind: 'ollama', route, isStreamingByDefault }),
    )
  }

  app.get('/api/tags', async () => ({
    // Only names are known here: sizes and digests stay with the nodes.
    models: servedModels(options.registry.snapshot(), 'ollama').map((name) => ({
      name,
      model: name,
      modified_at: '1970-01-01T00:00:00Z',
      size: 0,
      digest: '',
      details: {},
    })),
  }))

  app.get('/api/version', async () => ({ version: OLLAMA_API_VERSION }))
}
