/**
 * Route schemas are the zod schemas of `@llm-fleet/types`: this plugin makes fastify validate with
 * them and answer a 400 whose message names the field (`cpuUsage: must be at most 100`), the same
 * wording `formatZodError` gives everywhere else.
 */
import { formatZodError } from '@llm-fleet/types'
import type { FastifyPluginAsync, FastifySchemaCompiler } from 'fastify'
import fp from 'fastify-plugin'
import { serializerCompiler } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { InvalidBodyError, InvalidRequestError } from '../errors.js'

/** Validates one part of a request; bodies fail with FLEET_INVALID_BODY, other parts FLEET_INVALID_REQUEST. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const isBody = httpPart === 'body'
  // Outside the body, say where the field is (`params.id`), since a bare `id` would be ambiguous.
  const rename = isBody ? undefined : (key: string) => `${httpPart ?? 'request'}.${key}`
  return (data) => {
    const result = schema.safeParse(data)
    if (result.success) return { value: result.data }
    const message = formatZodError(result.error, rename)
    return { error: isBody ? new InvalidBodyError(message) : new InvalidRequestError(message) }
  }
}

const plugin: FastifyPluginAsync = async (app) => {
  app.setValidatorCompiler(zodValidatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
}

export const zodValidation = fp(plugin, { name: 'zod-validation', fastify: '5.x' })
