/**
 * What one proxied request pays to get a node, as `forward-request.ts` does it: the registry's
 * snapshot (a new one, since the previous request's lease changed a node: the registry copies its array
 * and rebuilds that node's view), `select`, then the lease taken and given back.
 */
import { select } from '../src/core/balancer/select.js'
import type { Selection } from '../src/core/balancer/selection.js'
import type { BalancerState, SelectRequest } from '../src/core/balancer/strategy.js'
import type { NodeRegistry } from '../src/registry/node-registry.js'

export function decideAndLease(
  registry: NodeRegistry,
  request: SelectRequest,
  state: BalancerState,
): Selection {
  const selection = select(registry.snapshot(), request, state)
  if (selection.kind === 'selected') registry.acquire(selection.node.id).release()
  return selection
}
