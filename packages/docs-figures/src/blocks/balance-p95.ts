/**
 * docs/balancing.md and docs/benchmarks.md: p95 end-to-end latency per strategy and load, from
 * bench/results/balance.json. Reads both the one-seed rows (`p95Ms`) and the per-workload rows with
 * spread over seeds (`e2eP95Ms: { median, min, max }`).
 */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'

const Spread = z.object({ median: z.number(), min: z.number(), max: z.number() })
const SeededRow = z.object({
  workload: z.string(),
  load: z.number(),
  strategy: z.string(),
  seeds: z.union([z.number(), z.array(z.number())]),
  e2eP95Ms: Spread,
})
const SingleRunRow = z.object({ load: z.number(), strategy: z.string(), p95Ms: z.number() })
const BalanceResults = z.object({
  fleet: z.array(z.object({ profile: z.string() })).optional(),
  pushIntervalMs: z.number().optional(),
  seed: z.number().optional(),
  requestsPerPoint: z.number().optional(),
  capacityPerS: z.union([z.number(), z.record(z.string(), z.unknown())]).optional(),
  rows: z.union([z.array(SeededRow), z.array(SingleRunRow)]),
})

const seconds = (ms: number) => significant(ms / 1000)
const percent = (load: number) => `${Math.round(load * 100)} %`

export default fromResults('balance.json', BalanceResults, (results) => {
  const { rows } = results
  if (rows.length > 0 && 'workload' in (rows[0] as object))
    return `${seededTables(rows as z.output<typeof SeededRow>[])}${fleetSentence(results)}`
  const single = rows as z.output<typeof SingleRunRow>[]
  const note = [
    'p95 end-to-end latency in seconds, from one simulated run',
    results.seed === undefined ? '' : ` (seed ${results.seed}`,
    results.requestsPerPoint === undefined
      ? ''
      : `, ${grouped(results.requestsPerPoint)} measured requests per point`,
    results.seed === undefined ? '' : ')',
    typeof results.capacityPerS !== 'number' ? '' : `; 100 % load is ${results.capacityPerS} requests/s`,
    '. One seed gives no spread.',
  ].join('')
  return [grid(single, (row) => seconds(row.p95Ms)), '', `${note}${fleetSentence(results)}`].join('\n')
})

/** ` Fleet: 1 × h100, 2 × a100; metrics pushed every 2 000 ms.` from what the file records. */
function fleetSentence({ fleet, pushIntervalMs }: z.output<typeof BalanceResults>): string {
  const counts = new Map<string, number>()
  for (const { profile } of fleet ?? []) counts.set(profile, (counts.get(profile) ?? 0) + 1)
  const hosts = [...counts].map(([profile, count]) => `${count} × ${profile}`).join(', ')
  const push = pushIntervalMs === undefined ? '' : `metrics pushed every ${grouped(pushIntervalMs)} ms`
  const parts = [hosts === '' ? '' : `${fleet?.length} hosts (${hosts})`, push].filter(Boolean)
  return parts.length === 0 ? '' : ` Fleet: ${parts.join('; ')}.`
}

function seededTables(rows: z.output<typeof SeededRow>[]): string {
  const workloads = [...new Set(rows.map((row) => row.workload))]
  const parts = workloads.flatMap((workload) => {
    const mine = rows.filter((row) => row.workload === workload)
    const seedCount = (row: (typeof mine)[number]) =>
      Array.isArray(row.seeds) ? row.seeds.length : row.seeds
    return [
      `**${workload}** (${Math.max(...mine.map(seedCount))} seeds; median, min–max)`,
      '',
      grid(
        mine,
        ({ e2eP95Ms: { median, min, max } }) => `${seconds(median)} (${seconds(min)}–${seconds(max)})`,
      ),
      '',
    ]
  })
  return [...parts, 'p95 end-to-end latency in seconds.'].join('\n')
}

function grid<Row extends { load: number; strategy: string }>(
  rows: Row[],
  cell: (row: Row) => string,
): string {
  const loads = [...new Set(rows.map((row) => row.load))].sort((a, b) => a - b)
  const strategies = [...new Set(rows.map((row) => row.strategy))]
  return table(
    ['strategy', ...loads.map(percent)],
    strategies.map((strategy) => [
      strategy,
      ...loads.map((load) => {
        const row = rows.find((candidate) => candidate.strategy === strategy && candidate.load === load)
        return row === undefined ? '' : cell(row)
      }),
    ]),
    `l${'r'.repeat(loads.length)}`,
  )
}
