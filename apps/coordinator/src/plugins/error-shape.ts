/**
 * The default error rendering: fastify's `{ statusCode, code, error, message }`. Expected errors
 * (4xx, and our coded 5xx such as FLEET_REGISTRY_FULL) keep their message; anything else becomes a
 * generic 500 naming the request id, and the real error goes to the log, never to the client.
 * The inference APIs set their own handlers in their own scopes (encapsulation), which run first.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { namingBodyLimit } from '../errors.js'

export interface ErrorBody {
  readonly statusCode: number
  readonly code: string
  readonly error: string
  readonly message: string
}

const plugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = namingBodyLimit(thrown, request.routeOptions.bodyLimit, 'BODY_LIMIT_BYTES') ?? thrown
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    const isExpected = statusCode < 500 || error.code?.startsWith('FLEET_') === true
    if (isExpected) {
      request.log.info({ code: error.code, statusCode, reason: error.message }, 'request rejected')
    } else {
      request.log.error({ err: error }, 'unhandled error')
    }
    const body: ErrorBody = {
      statusCode,
      code: error.code ?? 'FLEET_INTERNAL',
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: isExpected ? error.message : `Internal error (request id ${request.id})`,
    }
    return reply.code(statusCode).send(body)
  })
}

export const errorShape = fp(plugin, { name: 'error-shape', fastify: '5.x' })
