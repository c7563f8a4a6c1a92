/** `round-robin` mode: the next candidate by a rotating cursor, blind to load and speed. */
import type { Selection } from './selection.js'
import type { BalancerState, Strategy } from './strategy.js'

/**
 * Returns the cursor for `key` and advances it. Callers take `turn % size` of the set they rotate
 * over, so a set that grows or shrinks keeps rotating without a reset.
 */
export function takeTurn(state: BalancerState, key: string): number {
  const turn = state.cursors.get(key) ?? 0
  // Wrap well before 2^53 so the cursor stays an exact integer however long the process runs.
  state.cursors.set(key, turn >= Number.MAX_SAFE_INTEGER - 1 ? 0 : turn + 1)
  return turn
}

const CURSOR_KEY = 'round-robin'

export const roundRobin: Strategy = (candidates, _request, state): Selection => {
  const index = takeTurn(state, CURSOR_KEY) % candidates.length
  const node = candidates[index]
  if (node === undefined) throw new Error('round-robin: select passes at least one candidate')
  return {
    kind: 'selected',
    node,
    reason: { kind: 'round-robin', position: index + 1, of: candidates.length },
  }
}
