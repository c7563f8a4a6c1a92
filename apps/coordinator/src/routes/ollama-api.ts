/**
 * The Ollama API: `/api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings` and `/api/show`
 * forwarded to a node; `/api/tags`, `/api/ps` and `/api/version` answered from what the nodes report;
 * the model-management routes refused (models are managed on the nodes). Errors, unknown `/api/*`
 * routes included, render in Ollama's shape, `{ error }`. `HEAD /` and `GET /` live in `ollama-root.ts`.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidApiKeyError, ModelsManagedOnNodesError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import { describeError } from './internal/describe-error.js'
import { fleetOllamaVersion, fleetRunning, fleetTags } from './internal/fleet-models.js'
import { acceptRawBodies } from './internal/inference-body.js'
import { type InferenceApiOptions, proxyInference } from './internal/proxy-inference.js'

/**
 * The Ollama version `/api/version` reports when no node says its own: the API surface the coordinator
 * itself speaks (chat, generate, embed arrived by 0.3), high enough for clients that check it.
 */
export const OLLAMA_API_VERSION = '0.5.0'

/** Each forwarded route and whether Ollama streams it when the body does not say `"stream"`. */
const FORWARDED_ROUTES = [
  { route: '/api/chat', isStreamingByDefault: true },
  { route: '/api/generate', isStreamingByDefault: true },
  { route: '/api/embed', isStreamingByDefault: false },
  { route: '/api/embeddings', isStreamingByDefault: false },
  // `ollama run` asks it first; older clients name the model `name` (ollama api/types.go ShowRequest).
  { route: '/api/show', isStreamingByDefault: false, legacyModelField: 'name' },
] as const

/** Ollama's model-management routes (ollama server/routes.go), refused: models live on the nodes. */
const MANAGEMENT_ROUTES = [
  { method: 'POST', url: '/api/pull' },
  { method: 'POST', url: '/api/push' },
  { method: 'POST', url: '/api/create' },
  { method: 'POST', url: '/api/copy' },
  { method: 'DELETE', url: '/api/delete' },
  { method: 'POST', url: '/api/blobs/:digest' },
  { method: 'HEAD', url: '/api/blobs/:digest' },
] as const

export const ollamaApi: FastifyPluginAsync<InferenceApiOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message } = describeError(error, request, reply)
    return reply.code(statusCode).send({ error: message })
  })
  acceptRawBodies(app)
  await app.register(bearerAuth, { tokens: options.apiKeys, createError: () => new InvalidApiKeyError() })

  for (const { route, ...forwarded } of FORWARDED_ROUTES) {
    app.post(route, { bodyLimit: options.bodyLimitBytes }, (request, reply) =>
      proxyInference(request, reply, options.forwarder, { apiKind: 'ollama', route, ...forwarded }),
    )
  }

  for (const { method, url } of MANAGEMENT_ROUTES) {
    // Refused before the body is read (after the key check), so an upload of any size (`ollama
    // create` sends its blobs here) gets the 501 that says why, not a 413 about a limit. The connection
    // closes after it, as after fastify's own 413, rather than reading the unwanted body to its end.
    const refuse = async (request: FastifyRequest, reply: FastifyReply) => {
      if (hasBody(request)) reply.header('connection', 'close')
      throw new ModelsManagedOnNodesError(url.replace('/:digest', '/*'))
    }
    app.route({ method, url, onRequest: refuse, handler: refuse })
  }

  app.get('/api/tags', async () => ({ models: fleetTags(options.registry.list()) }))
  app.get('/api/ps', async () => ({ models: fleetRunning(options.registry.list()) }))
  app.get('/api/version', async () => ({
    version: fleetOllamaVersion(options.registry.list(), OLLAMA_API_VERSION),
  }))
}

/** Whether a request carries a body (RFC 9112 §6.3: a length other than 0, or chunked framing). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
