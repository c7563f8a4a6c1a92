/** README and docs/balancing.md: one phrase on the cost of a decision at 1 000 nodes, from select.json. */
import { fromResults } from '../block.js'
import { significant } from '../format.js'
import { SelectResults } from './select-table.js'

export default fromResults('select.json', SelectResults, (file) => {
  const { results, targetUsAt1000Nodes, targetMet } = file
  const resident = file.fastestFinishAllResident === undefined ? [] : [file.fastestFinishAllResident]
  const at1000 = [...Object.values(results), ...resident]
    .map((bySize) => bySize['1000']?.wholePath)
    .filter((value) => value !== undefined)
    .map((value) => (typeof value === 'number' ? value : value.median))
    .sort((a, b) => a - b)
  if (at1000.length === 0) return 'select.json has no run at 1 000 nodes'
  const range = `${significant(at1000[0] as number)} to ${significant(at1000.at(-1) as number)} µs`
  const target =
    targetUsAt1000Nodes === undefined
      ? ''
      : ` (target: under ${targetUsAt1000Nodes} µs${targetMet === undefined ? '' : `, ${targetMet ? 'met' : 'not met'} in the published run`})`
  const which = resident.length === 0 ? 'by mode' : 'by mode and with the model resident everywhere'
  return `${range} of CPU at 1 000 nodes for the whole path, median ${which}${target}`
})
