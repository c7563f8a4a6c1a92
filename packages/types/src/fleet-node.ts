/** A node as the coordinator reports it (`GET /api/agents`, the dashboard). */
import { z } from 'zod'
import { AgentMetrics } from './agent-metrics.js'
import { AgentId, AgentRegistration } from './agent-registration.js'
import { Count } from './primitives.js'
import { RuntimeEndpoint } from './runtime-endpoint.js'

/** `online` takes traffic; `stale` has missed its pushes; `draining` finishes in-flight work, then goes. */
export const NODE_STATES = ['online', 'stale', 'draining'] as const
export const NodeState = z.enum(NODE_STATES)
export type NodeState = z.infer<typeof NodeState>

/** A registration as the coordinator shows it: the runtime's API key is never part of it. */
export const PublicRegistration = AgentRegistration.extend({
  runtime: RuntimeEndpoint.omit({ apiKey: true }),
})
export type PublicRegistration = z.infer<typeof PublicRegistration>

export const FleetNode = z.strictObject({
  id: AgentId,
  /** Display name: the registered hostname. */
  name: z.string(),
  state: NodeState,
  registration: PublicRegistration,
  /** The latest metrics sample, or null before the first push. */
  metrics: AgentMetrics.nullable(),
  /** Requests the coordinator is proxying to this node now. */
  inFlight: Count,
  computeScore: z.number(),
  registeredAt: z.iso.datetime({ offset: true }),
  lastSeenAt: z.iso.datetime({ offset: true }),
  /** Set while the node is skipped after repeated upstream failures. */
  coolingDownUntil: z.iso.datetime({ offset: true }).nullable(),
})
export type FleetNode = z.infer<typeof FleetNode>

export const FleetNodeList = z.strictObject({ nodes: z.array(FleetNode) })
export type FleetNodeList = z.infer<typeof FleetNodeList>
