/** docs/benchmarks.md: time per balancing decision by mode and fleet size, from bench/results/select.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'

const SelectResults = z.object({
  cpu: z.string().optional(),
  node: z.string().optional(),
  targetUsAt1000Nodes: z.number().optional(),
  runs: z.number().optional(),
  rows: z.array(
    z.object({ mode: z.string(), nodes: z.number(), usPerDecision: z.number(), nsPerNode: z.number() }),
  ),
})

export default fromResults('select.json', SelectResults, ({ rows, cpu, node, runs }) => {
  const sizes = [...new Set(rows.map((row) => row.nodes))].sort((a, b) => a - b)
  const modes = [...new Set(rows.map((row) => row.mode))]
  const cell = (mode: string, nodes: number) => {
    const row = rows.find((candidate) => candidate.mode === mode && candidate.nodes === nodes)
    return row === undefined
      ? ''
      : `${significant(row.usPerDecision)} µs (${significant(row.nsPerNode)} ns/node)`
  }
  const machine = [cpu, node === undefined ? undefined : `Node ${node}`].filter(Boolean).join(', ')
  return [
    table(
      ['mode', ...sizes.map((size) => `${grouped(size)} nodes`)],
      modes.map((mode) => [`\`${mode}\``, ...sizes.map((size) => cell(mode, size))]),
      `l${'r'.repeat(sizes.length)}`,
    ),
    '',
    `Time per decision (and per node), the median ${runs === undefined ? 'over several runs (`select.json` does not record how many)' : `of ${runs} runs`}${machine === '' ? '' : `, on ${machine}`}.`,
  ].join('\n')
})
