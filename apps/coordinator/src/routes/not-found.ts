/**
 * Unknown routes answer 404 in the shape of the API their path belongs to: OpenAI's under `/v1/`
 * (Anthropic's for `/v1/messages…`), Ollama's under `/api/`, fastify's default elsewhere and under the
 * coordinator's own `/api/agents` and `/api/route`. A client
 * library then shows a readable error instead of failing to parse one.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { anthropicError } from './anthropic-api.js'
import { openAiError } from './openai-api.js'

const CODE = 'FLEET_ROUTE_NOT_FOUND'

const plugin: FastifyPluginAsync = async (app) => {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? ''
    const message = `No route ${request.method} ${path} on this llm-fleet coordinator`
    request.log.info({ code: CODE, statusCode: 404 }, message)
    reply.code(404)
    if (path.startsWith('/v1/messages')) return reply.send(anthropicError(404, message))
    if (path.startsWith('/v1/')) return reply.send(openAiError(404, message, CODE))
    if (path.startsWith('/api/') && !isCoordinatorApi(path)) return reply.send({ error: message })
    return reply.send({ statusCode: 404, code: CODE, error: STATUS_CODES[404], message })
  })
}

/** The coordinator's own routes under `/api/` (the agent API, `/api/route`): not Ollama's, so its shape. */
function isCoordinatorApi(path: string): boolean {
  return /^\/api\/(agents|route)(\/|$)/.test(path)
}

export const notFound = fp(plugin, { name: 'not-found', fastify: '5.x' })
