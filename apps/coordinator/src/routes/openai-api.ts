/**
 * The OpenAI API (`/v1/*`): chat, completions, embeddings, responses, audio transcriptions and
 * translations (uploads) and every other `POST /v1/*` whose JSON body names a `model` (rerank, score,
 * …) forwarded to a node; the model list and single models
 * answered here. Errors, unknown `/v1/*` routes included, render in OpenAI's shape,
 * `{ error: { message, type, param, code } }`. The Anthropic Messages API (`/v1/messages`) lives in
 * `anthropic-api.ts`, with Anthropic's error shape.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { modelKeyFor } from '../core/model-name.js'
import { InvalidApiKeyError, ModelNotServedError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import { describeError } from './internal/describe-error.js'
import { isMultipartForm, parseFormInferenceBody } from './internal/form-body.js'
import { acceptRawBodies, parseInferenceBody, parseNamingModel } from './internal/inference-body.js'
import { type InferenceApiOptions, proxyInference, servedModels } from './internal/proxy-inference.js'

const FORWARDED_ROUTES = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
] as const

/**
 * Routes that take an upload: vLLM serves both (vllm/entrypoints/openai/speech_to_text/api_router.py,
 * `Annotated[TranscriptionRequest, Form()]`), and the official clients send `multipart/form-data`, its
 * parts in the order of the caller's object (openai-node's `createForm`), so `{ file, model }` puts the
 * model after the file. A JSON body naming a model is forwarded as on the other routes.
 */
const UPLOAD_ROUTES = ['/v1/audio/transcriptions', '/v1/audio/translations'] as const

/**
 * The route label of the other forwarded `POST /v1/*` requests (`/v1/rerank`, `/v1/score`, …): one
 * label for them all, so that clients cannot grow the metrics' series with made-up paths.
 */
export const OTHER_V1_ROUTE = '/v1/*'

export const openAiApi: FastifyPluginAsync<InferenceApiOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, message, code } = describeError(error, request, reply)
    return reply.code(statusCode).send(openAiError(statusCode, message, code))
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
  for (const route of UPLOAD_ROUTES) {
    const rules = { apiKind: 'openai', route, isStreamingByDefault: false } as const
    app.post(route, { bodyLimit: options.bodyLimitBytes }, async (request, reply) => {
      const contentType = request.headers['content-type']
      const body = isMultipartForm(contentType)
        ? await parseFormInferenceBody(request.body, contentType, rules)
        : parseInferenceBody(request.body, rules)
      return proxyInference(request, reply, options.forwarder, rules, body)
    })
  }
  const otherRoute = { apiKind: 'openai', route: OTHER_V1_ROUTE, isStreamingByDefault: false } as const
  app.post(OTHER_V1_ROUTE, { bodyLimit: options.bodyLimitBytes }, async (request, reply) => {
    // Without a model there is no node to send it to: the path is one the coordinator does not serve
    // (the SDKs' `responses.cancel`, Anthropic's `messages.batches.create`), a 404 as from a runtime
    // without that route, not a 400 telling the client its request lacks a model.
    const body = parseNamingModel(request.body, otherRoute)
    if (body === null) return reply.callNotFound()
    return proxyInference(request, reply, options.forwarder, otherRoute, body)
  })

  app.get('/v1/models', async () => ({
    object: 'list',
    data: servedModels(options.registry.snapshot(), 'openai').map(modelObject),
  }))

  // Model ids may hold slashes (`meta-llama/Llama-3.1-8B`): the rest of the path is the id.
  app.get('/v1/models/*', async (request) => {
    const id = (request.params as { '*': string })['*']
    for (const node of options.registry.snapshot()) {
      if (node.state !== 'online') continue
      const wanted = modelKeyFor(node.runtimeKind, id)
      if (!node.modelKeys.has(wanted)) continue
      // The name as the node lists it (an Ollama node lists `llama3.1:latest` for `Llama3.1`).
      for (const served of node.models) {
        if (modelKeyFor(node.runtimeKind, served) === wanted) return modelObject(served)
      }
    }
    throw new ModelNotServedError(id)
  })
}

function modelObject(id: string) {
  return { id, object: 'model', created: 0, owned_by: 'llm-fleet' }
}

/** OpenAI's error body, as its SDKs read it. */
export function openAiError(statusCode: number, message: string, code: string | null) {
  return { error: { message, type: openAiErrorType(statusCode), param: null, code } }
}

/** OpenAI's error `type` for a status, as its SDKs expect it. */
function openAiErrorType(statusCode: number): string {
  if (statusCode === 401) return 'authentication_error'
  if (statusCode === 429) return 'rate_limit_error'
  if (statusCode >= 500) return 'server_error'
  return 'invalid_request_error'
}
