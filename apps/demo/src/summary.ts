/** Per-node totals of a traffic run: what the demo prints at the end. Pure. */
import type { RequestOutcome } from './traffic.js'

export interface NodeSummary {
  readonly node: string
  readonly requests: number
  readonly completionTokens: number
  readonly meanLatencyMs: number
}

export interface TrafficSummary {
  /** One row per node that served a request, in the order of `nodeOrder` then by name. */
  readonly nodes: readonly NodeSummary[]
  readonly requests: number
  readonly failures: number
}

/** Totals per node over the successful requests; failed ones are only counted. */
export function summarizeTraffic(
  outcomes: readonly RequestOutcome[],
  nodeOrder: readonly string[] = [],
): TrafficSummary {
  const byNode = new Map<string, { requests: number; completionTokens: number; latencyMs: number }>()
  let failures = 0
  for (const outcome of outcomes) {
    if (outcome.error !== null || outcome.routing === null) {
      failures += 1
      continue
    }
    const totals = byNode.get(outcome.routing.node) ?? { requests: 0, completionTokens: 0, latencyMs: 0 }
    totals.requests += 1
    totals.completionTokens += outcome.completionTokens
    totals.latencyMs += outcome.latencyMs
    byNode.set(outcome.routing.node, totals)
  }
  const rank = (node: string) => {
    const index = nodeOrder.indexOf(node)
    return index === -1 ? nodeOrder.length : index
  }
  const nodes = [...byNode.entries()]
    .map(([node, totals]) => ({
      node,
      requests: totals.requests,
      completionTokens: totals.completionTokens,
      meanLatencyMs: totals.latencyMs / totals.requests,
    }))
    .sort((left, right) => rank(left.node) - rank(right.node) || left.node.localeCompare(right.node))
  return { nodes, requests: outcomes.length, failures }
}
