/**
 * `HEAD /` and `GET /`: what Ollama answers there ("Ollama is running", ollama server/routes.go), and
 * what every `ollama` CLI command asks first. Open like `/healthz`: it says nothing but that this is up.
 */
import type { FastifyPluginAsync } from 'fastify'

export const OLLAMA_ROOT_TEXT = 'Ollama is running'

export const ollamaRoot: FastifyPluginAsync = async (app) => {
  // fastify answers HEAD for a GET route itself (exposeHeadRoutes), without the body.
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(OLLAMA_ROOT_TEXT),
  )
}
