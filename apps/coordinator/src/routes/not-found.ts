/**
 * Unknown routes answer 404 in the shape of the API their path belongs to: OpenAI's under `/v1/`
 * (Anthropic's for `/v1/messages…`), Ollama's under `/api/`, fastify's default elsewhere and under the
 * coordinator's own `/api/agents` and `/api/route`. A client
 * library then shows a readable error instead of failing to parse one.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isCoordinatorApi } from '../api-paths.js'
import { anthropicError } from './anthropic-api.js'
import { openAiError } from './openai-api.js'

const CODE = 'FLEET_ROUTE_NOT_FOUND'

const plugin: FastifyPluginAsync = async (app) => {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? ''
    const message = `No route ${request.method} ${path} on this llm-fleet coordinator`
    return sendInApiShape(request, reply, { statusCode: 404, code: CODE, message })
  })
}

/**
 * Answers `error` in the shape of the API the request's path belongs to. Also fastify's
 * `frameworkErrors` (a URL it cannot decode, a path parameter beyond the router's length), which
 * come before any route and its error handler.
 */
export function sendInApiShape(
  request: FastifyRequest,
  reply: FastifyReply,
  error: { readonly statusCode: number; readonly code: string; readonly message: string },
): FastifyReply {
  const { statusCode, code, message } = error
  const path = request.url.split('?', 1)[0] ?? ''
  request.log.info({ code, statusCode }, message)
  reply.code(statusCode)
  if (path.startsWith('/v1/messages')) return reply.send(anthropicError(statusCode, message))
  if (path.startsWith('/v1/')) return reply.send(openAiError(statusCode, message, code))
  if (path.startsWith('/api/') && !isCoordinatorApi(path)) return reply.send({ error: message })
  return reply.send({ statusCode, code, error: STATUS_CODES[statusCode], message })
}

export const notFound = fp(plugin, { name: 'not-found', fastify: '5.x' })
