/**
 * The agent API (`/api/agents*`): registration, metrics pushes, drain and the node list. Thin: parse
 * (route schemas from `@llm-fleet/types`), call the registry, map its result to a status.
 */
import {
  AgentId,
  AgentMetrics,
  AgentRegistration,
  FleetNodeList,
  RegistrationAccepted,
} from '@llm-fleet/types'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  AgentIdMismatchError,
  AgentNotFoundError,
  InvalidAgentTokenError,
  InvalidBodyError,
} from '../errors.js'
import type { AgentPushObserver, PushRejection } from '../observability/fleet-metrics.js'
import { bearerAuth } from '../plugins/bearer-auth.js'
import type { NodeRegistry } from '../registry/node-registry.js'

export interface AgentApiOptions {
  readonly registry: NodeRegistry
  /** `AGENT_TOKEN`; unset leaves the agent API open (loopback, or `--insecure`). */
  readonly agentToken: string | undefined
  /** `PUSH_INTERVAL_MS`, told to every agent that registers. */
  readonly pushIntervalMs: number
  /** Told about every metrics push, accepted or refused (the push counters of `/metrics`). */
  readonly pushObserver?: AgentPushObserver
}

const AgentParams = z.strictObject({ id: AgentId })
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })
const NoContent = z.null().describe('No content')

export const agentApi: FastifyPluginAsyncZod<AgentApiOptions> = async (app, options) => {
  const { registry, pushIntervalMs } = options
  await app.register(bearerAuth, {
    tokens: options.agentToken === undefined ? [] : [options.agentToken],
    createError: () => new InvalidAgentTokenError(),
  })
  // Agents send JSON only: any other body, text/plain included (fastify parses it by default), is a 415.
  app.removeContentTypeParser('text/plain')
  // JSON as fastify parses it (its prototype-poisoning guards included), but refusing bytes that are not
  // UTF-8: decoded leniently, they would be stored as U+FFFD in a hostname or a model name.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = STRICT_UTF8.decode(body as Buffer)
    } catch {
      done(new InvalidBodyError('(root): is not valid UTF-8'), undefined)
      return
    }
    parseJson(request, text, done)
  })

  app.post(
    '/',
    {
      schema: {
        summary: 'Register a node (again: same hostname and runtime URL keep their id)',
        body: AgentRegistration,
        response: { 200: RegistrationAccepted, 201: RegistrationAccepted },
      },
    },
    async (request, reply) => {
      const { agentId, created } = registry.register(request.body)
      return reply.code(created ? 201 : 200).send({ agentId, pushIntervalMs })
    },
  )

  app.post(
    '/:id/metrics',
    {
      schema: {
        summary: 'Push a metrics sample; 404 means register again',
        params: AgentParams,
        body: AgentMetrics,
        response: { 204: NoContent },
      },
      // onResponse sees refusals from every stage: the token check, the body limit, validation.
      onResponse: async (_request, reply) => options.pushObserver?.onPush(pushRejection(reply.statusCode)),
    },
    async (request, reply) => {
      const { id } = request.params
      const result = registry.ingestMetrics(id, request.body)
      switch (result.kind) {
        case 'ok':
          return reply.code(204).send(null)
        case 'unknown-agent':
          throw new AgentNotFoundError(id)
        case 'id-mismatch':
          throw new AgentIdMismatchError(request.body.agentId, id)
      }
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        summary: 'Deregister: the node drains (in-flight requests finish) and is removed',
        params: AgentParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      if (!registry.drain(request.params.id)) throw new AgentNotFoundError(request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/',
    {
      schema: {
        summary: 'Every node with its state, metrics and in-flight count',
        response: { 200: FleetNodeList },
      },
    },
    async () => ({ nodes: registry.list() }),
  )
}

/** A push's status as the rejection reason of the push counters; null when accepted. */
function pushRejection(statusCode: number): PushRejection | null {
  if (statusCode < 300) return null
  if (statusCode === 400) return 'invalid'
  if (statusCode === 401) return 'unauthorized'
  if (statusCode === 404) return 'unknown-agent'
  if (statusCode === 413) return 'too-large'
  return 'error'
}
