/**
 * `GET /metrics`: the Prometheus text format of the registry the app was given. Open like `/healthz`
 * (Prometheus scrapes without credentials by default); node names and counts are all it reveals.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

export interface MetricsRouteOptions {
  readonly registry: Registry
}

export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics()
    return reply.type(registry.contentType).send(text)
  })
}
