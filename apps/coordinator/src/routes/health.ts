/** Liveness, readiness and the OpenAPI document. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ReadinessGate } from '../registry/readiness-gate.js'

/** What `/readyz` shows about the shared store (`SHARED_STATE_URL`). */
export interface SharedStateReport {
  readonly status: 'connecting' | 'connected' | 'unreachable'
  /** Coordinators seen (itself included); while unreachable, the N of the 1/N share. */
  readonly coordinators: number
  /** Share of each node's max concurrency this coordinator uses: 1, or 1/N while unreachable. */
  readonly capacityShare: number
}

export interface HealthOptions {
  readonly readiness: ReadinessGate
  /** Absent without `SHARED_STATE_URL`. */
  readonly sharedState?: (() => SharedStateReport) | undefined
}

const Readiness = z.strictObject({
  status: z.enum(['ready', 'not-ready']),
  /** Why: `waiting-for-fleet` after a start, `shutting-down` after SIGTERM, … (core/readiness.ts). */
  reason: z.string(),
  /** Nodes that can take traffic now. */
  online: z.number().int(),
  sharedState: z
    .strictObject({
      status: z.enum(['connecting', 'connected', 'unreachable']),
      coordinators: z.number().int(),
      capacityShare: z.number(),
    })
    .optional(),
})

export const health: FastifyPluginAsyncZod<HealthOptions> = async (app, { readiness, sharedState }) => {
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

  // Ready means it can serve inference with the whole fleet: after a start it waits until it knows the
  // nodes (see core/readiness.ts), and after SIGTERM it is unready while it still serves, so that a
  // health-checking front moves traffic elsewhere before this one stops accepting.
  app.get(
    '/readyz',
    {
      schema: {
        summary:
          '200 once the fleet is known and a node is online; 503 while starting, without nodes, or shutting down',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const { isReady, reason, online } = readiness.check()
      return reply.code(isReady ? 200 : 503).send({
        status: isReady ? 'ready' : 'not-ready',
        reason,
        online,
        ...(sharedState === undefined ? {} : { sharedState: sharedState() }),
      })
    },
  )

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
