/** Echoes the request id (the client's `X-Request-Id`, or a generated one) on every response. */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

export const REQUEST_ID_HEADER = 'x-request-id'

const plugin: FastifyPluginAsync = async (app) => {
  // onRequest, not onSend: the header is set before anything can fail, so error replies carry it too.
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
}

export const requestId = fp(plugin, { name: 'request-id', fastify: '5.x' })
