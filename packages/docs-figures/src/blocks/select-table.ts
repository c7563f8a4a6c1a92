/**
 * docs/benchmarks.md: CPU time per balancing decision by mode and fleet size, from
 * bench/results/select.json: `select()` alone and the whole path through the registry, medians with spread.
 */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, table } from '../format.js'
import { describeMachine, Machine } from '../machine.js'
import { Measured, showMeasured } from '../measured.js'

const Timing = z.object({ selectOnly: Measured, wholePath: Measured })
const BySize = z.record(z.string(), Timing.extend({ wallClock: Timing.optional() }))
export const SelectResults = z.object({
  clock: z.string().optional(),
  paths: z
    .object({ selectOnly: z.string(), wholePath: z.string(), allResident: z.string().optional() })
    .optional(),
  machine: Machine.optional(),
  runs: z.number().optional(),
  targetUsAt1000Nodes: z.number().optional(),
  targetMet: z.boolean().optional(),
  results: z.record(z.string(), BySize),
  /** `fastest-finish` once more, with every node holding the model (newer results only). */
  fastestFinishAllResident: BySize.optional(),
})

/** Table rows for one mode's fleet sizes, smallest first. */
function sizeRows(label: string, bySize: z.infer<typeof BySize>): string[][] {
  return Object.entries(bySize)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([nodes, timing]) => [
      label,
      grouped(Number(nodes)),
      showMeasured(timing.wholePath),
      showMeasured(timing.selectOnly),
      timing.wallClock === undefined ? '' : showMeasured(timing.wallClock.wholePath),
    ])
}

export default fromResults('select.json', SelectResults, (results) => {
  const rows = Object.entries(results.results).flatMap(([mode, bySize]) => sizeRows(`\`${mode}\``, bySize))
  const resident = results.fastestFinishAllResident
  if (resident !== undefined) rows.push(...sizeRows('`fastest-finish`, model resident everywhere', resident))
  const { paths, machine } = results
  return [
    table(
      ['mode', 'nodes', 'whole path, µs', '`select()` alone, µs', 'whole path, wall clock µs'],
      rows,
      'lrrrr',
    ),
    '',
    [
      `Per decision: the median of ${results.runs ?? 'several'} runs with the min–max in parentheses`,
      results.clock === undefined ? '' : `, counted as ${results.clock}`,
      '.',
      paths === undefined ? '' : ` Whole path: ${paths.wholePath}. \`select()\` alone: ${paths.selectOnly}.`,
      paths?.allResident === undefined ? '' : ` Model resident everywhere: ${paths.allResident}.`,
      results.targetUsAt1000Nodes === undefined
        ? ''
        : ` Target: under ${results.targetUsAt1000Nodes} µs at 1 000 nodes${results.targetMet === undefined ? '' : `, ${results.targetMet ? 'met' : 'not met'} in this run`}.`,
      machine === undefined ? '' : ` Run on ${describeMachine(machine)}.`,
    ].join(''),
  ].join('\n')
})
