/** Liveness, readiness and the OpenAPI document. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { NodeRegistry } from '../registry/node-registry.js'

export interface HealthOptions {
  readonly registry: NodeRegistry
}

const Readiness = z.strictObject({
  status: z.enum(['ready', 'not-ready']),
  /** Nodes that can take traffic now. */
  online: z.number().int(),
})

export const health: FastifyPluginAsyncZod<HealthOptions> = async (app, { registry }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The process is alive',
        response: { 200: z.strictObject({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  // Ready means it can serve inference: at least one node online. A load balancer in front keeps
  // traffic away from a coordinator that agents have not reached yet (after a restart, for instance).
  app.get(
    '/readyz',
    {
      schema: {
        summary: '200 once at least one node is online, else 503',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const online = registry.countByState().online
      return reply.code(online > 0 ? 200 : 503).send({ status: online > 0 ? 'ready' : 'not-ready', online })
    },
  )

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
