/** JSON Schema (draft 2020-12) of every wire message, for `/openapi.json` and for non-TypeScript clients. */
import { z } from 'zod'
import { AgentMetrics } from './agent-metrics.js'
import { AgentRegistration, RegistrationAccepted } from './agent-registration.js'
import { FleetNode } from './fleet-node.js'
import { GpuDevice } from './gpu-device.js'

export const WIRE_SCHEMAS = {
  GpuDevice,
  AgentRegistration,
  RegistrationAccepted,
  AgentMetrics,
  FleetNode,
} as const
export type WireSchemaName = keyof typeof WIRE_SCHEMAS

/** Every wire schema as JSON Schema, keyed by name. */
export function toJsonSchemas(): Record<WireSchemaName, Record<string, unknown>> {
  const out = {} as Record<WireSchemaName, Record<string, unknown>>
  for (const [name, schema] of Object.entries(WIRE_SCHEMAS) as [WireSchemaName, z.ZodType][]) {
    // Refinements (URL checks, label counts) have no JSON Schema form; the zod schema stays authoritative.
    out[name] = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>
  }
  return out
}
