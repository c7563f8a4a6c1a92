// Prints the README's compute score table: `pnpm --filter @llm-fleet/agent exec tsx scripts/print-score-table.ts`.
import { renderScoreTable } from '../src/compute-score/score-table.js'

console.log(renderScoreTable())
