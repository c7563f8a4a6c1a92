/** README and docs/balancing.md: one phrase on the cost of a decision at 1 000 nodes, from select.json. */
import { fromResults } from '../block.js'
import { significant } from '../format.js'
import { medianOf } from '../measured.js'
import { SelectResults } from './select-table.js'

export default fromResults('select.json', SelectResults, (file) => {
  const { results, targetUsAt1000Nodes, targetMet } = file
  const at1000 = Object.values(results)
    .flatMap((bySize) => {
      const timing = bySize['1000']
      return timing === undefined ? [] : [medianOf(timing.wholePath)]
    })
    .sort((a, b) => a - b)
  if (at1000.length === 0) return 'select.json has no run at 1 000 nodes'
  const range = `${significant(at1000[0] as number)} to ${significant(at1000.at(-1) as number)} µs`
  const target =
    targetUsAt1000Nodes === undefined
      ? ''
      : ` (target: under ${targetUsAt1000Nodes} µs${targetMet === undefined ? '' : `, ${targetMet ? 'met' : 'not met'} in the published run`})`
  const resident = file.fastestFinishAllResident?.['1000']
  const residentPhrase =
    resident === undefined
      ? ''
      : `; the default with the model resident on every node, ${significant(medianOf(resident.wholePath))} µs`
  return `${range} of CPU at 1 000 nodes for the whole path, median by mode${target}${residentPhrase}`
})
