/**
 * Times `select` per decision for 10 … 10 000 nodes in every mode, prints a table and writes
 * `bench/results/select.json` at the repository root. Target (issue 3): under 22 µs at 1 000 nodes,
 * 20× faster than the original design's 0.447 ms, and linear or better in the node count.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { select } from '../src/core/balancer/select.js'
import { BALANCER_MODES, type BalancerMode } from '../src/core/balancer/strategies.js'
import { createBalancerState } from '../src/core/balancer/strategy.js'
import { generateFleet } from './select-inputs.js'

const NODE_COUNTS = [10, 100, 1_000, 10_000] as const
/** Each measurement runs about this many node visits, so small fleets get enough iterations. */
const NODE_VISITS_PER_RUN = 20_000_000
const RUNS = 5
const TARGET_US_AT_1000 = 22
const RESULTS = fileURLToPath(new URL('../../../bench/results/select.json', import.meta.url))

interface Row {
  readonly mode: BalancerMode
  readonly nodes: number
  /** Median over the runs. */
  readonly usPerDecision: number
  /** `usPerDecision` per node: flat while the fleet fits in the CPU's caches, rising once it does not. */
  readonly nsPerNode: number
  readonly decisionsPerRun: number
}

function measure(mode: BalancerMode, count: number): Row {
  const fleet = generateFleet(count)
  const state = createBalancerState(Math.random, { mode })
  const iterations = Math.max(2_000, Math.round(NODE_VISITS_PER_RUN / count))
  // Keeps the result observable so the loop cannot be optimized away.
  let selected = 0
  for (let i = 0; i < iterations; i++)
    if (select(fleet.nodes, fleet.request, state).kind === 'selected') selected++
  const samples: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++)
      if (select(fleet.nodes, fleet.request, state).kind === 'selected') selected++
    samples.push(Number(process.hrtime.bigint() - start) / 1_000 / iterations)
  }
  if (selected !== iterations * (RUNS + 1)) throw new Error(`${mode} at ${count} nodes failed to select`)
  samples.sort((a, b) => a - b)
  const median = samples[Math.floor(RUNS / 2)] as number
  return {
    mode,
    nodes: count,
    usPerDecision: Math.round(median * 1_000) / 1_000,
    nsPerNode: Math.round((median * 1_000 * 100) / count) / 100,
    decisionsPerRun: iterations,
  }
}

const rows: Row[] = []
for (const count of NODE_COUNTS) for (const mode of BALANCER_MODES) rows.push(measure(mode, count))

const header = ['nodes', ...BALANCER_MODES.map((mode) => `${mode} µs`)]
console.log(
  `\nselect(): µs per decision (median of ${RUNS} runs), Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`,
)
console.log(header.map((cell) => cell.padStart(20)).join(''))
for (const count of NODE_COUNTS) {
  const cells = BALANCER_MODES.map((mode) => {
    const row = rows.find((candidate) => candidate.mode === mode && candidate.nodes === count)
    return row === undefined ? '-' : row.usPerDecision.toFixed(3)
  })
  console.log([String(count), ...cells].map((cell) => cell.padStart(20)).join(''))
}
const growth = BALANCER_MODES.map((mode) => {
  const at = (count: number) =>
    rows.find((row) => row.mode === mode && row.nodes === count)?.usPerDecision ?? 0
  return `${mode} ${(at(10_000) / at(1_000)).toFixed(1)}x`
})
console.log(`\n1 000 -> 10 000 nodes (10x): ${growth.join(', ')}`)
const worstAt1000 = Math.max(...rows.filter((row) => row.nodes === 1_000).map((row) => row.usPerDecision))
console.log(
  `\nworst mode at 1 000 nodes: ${worstAt1000.toFixed(2)} µs (target < ${TARGET_US_AT_1000} µs: ${worstAt1000 < TARGET_US_AT_1000 ? 'met' : 'MISSED'})`,
)

mkdirSync(fileURLToPath(new URL('.', `file://${RESULTS}`)), { recursive: true })
writeFileSync(
  RESULTS,
  `${JSON.stringify(
    {
      benchmark: 'select',
      unit: 'microseconds per decision',
      node: process.version,
      cpu: cpus()[0]?.model ?? null,
      targetUsAt1000Nodes: TARGET_US_AT_1000,
      rows,
    },
    null,
    2,
  )}\n`,
)
console.log(`wrote ${RESULTS}`)
