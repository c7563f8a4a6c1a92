/** docs/agent.md: the compute score of one GPU of each common model, from the agent's score code. */
import { renderScoreTable } from '../../../../apps/agent/src/compute-score/score-table.js'
import { fromCode } from '../block.js'

export default fromCode(renderScoreTable)
