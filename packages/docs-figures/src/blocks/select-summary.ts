/** README and docs/balancing.md: one sentence on the cost of a decision at 1 000 nodes, from select.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { significant } from '../format.js'

const SelectResults = z.object({
  targetUsAt1000Nodes: z.number().optional(),
  rows: z.array(z.object({ mode: z.string(), nodes: z.number(), usPerDecision: z.number() })),
})

export default fromResults('select.json', SelectResults, ({ rows, targetUsAt1000Nodes }) => {
  const at1000 = rows.filter((row) => row.nodes === 1000).sort((a, b) => a.usPerDecision - b.usPerDecision)
  const fastest = at1000[0]
  const slowest = at1000.at(-1)
  if (fastest === undefined || slowest === undefined) return 'select.json has no run at 1 000 nodes.'
  const target = targetUsAt1000Nodes === undefined ? '' : ` (target: under ${targetUsAt1000Nodes} µs)`
  return `${significant(fastest.usPerDecision)} to ${significant(slowest.usPerDecision)} µs at 1 000 nodes${target}`
})
