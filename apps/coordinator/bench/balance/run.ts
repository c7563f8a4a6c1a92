/**
 * `pnpm bench:balance`: simulates every compared strategy at every load level on the mixed fleet,
 * prints a table per load, and writes `bench/results/balance.json` and `docs/balance-p95.svg` at the
 * repository root. `--requests N` shortens a run while iterating.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ConfigSchema, DEFAULT_PUSH_INTERVAL_MS } from '../../src/config.js'
import { COMPARED_STRATEGIES } from './compared-strategies.js'
import { defaultFleet, fleetCapacityPerS } from './fleet.js'
import { renderP95Chart } from './p95-chart.js'
import { type SimulationResult, simulate } from './simulate.js'

const LOADS = [0.3, 0.5, 0.7, 0.85, 0.95] as const
const SEED = 20_261_124
const RESULTS = fileURLToPath(new URL('../../../../bench/results/balance.json', import.meta.url))
const CHART = fileURLToPath(new URL('../../../../docs/balance-p95.svg', import.meta.url))

const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000' } } })
const requests = Number(values.requests)
if (!Number.isInteger(requests) || requests < 100) throw new Error('--requests must be an integer ≥ 100')
const defaultMode: string = ConfigSchema.shape.loadBalancerMode.parse(undefined)

const hosts = defaultFleet()
const capacity = fleetCapacityPerS(hosts)
const startedMs = performance.now()
const results: SimulationResult[] = []
for (const load of LOADS) {
  for (const strategy of COMPARED_STRATEGIES) {
    results.push(
      simulate({
        hosts,
        strategy,
        load,
        requests,
        warmupRequests: Math.round(requests / 10),
        seed: SEED + Math.round(load * 100),
        pushIntervalMs: DEFAULT_PUSH_INTERVAL_MS,
      }),
    )
  }
}
const elapsedS = (performance.now() - startedMs) / 1000

const classes = [...new Set(hosts.map((host) => host.gpuClass))]
const fleetText = classes
  .map((gpuClass) => `${hosts.filter((host) => host.gpuClass === gpuClass).length}×${gpuClass}`)
  .join(' ')
console.log(
  `\nBalancing quality: ${fleetText}; capacity ${capacity.toFixed(1)} req/s; ${requests} requests per point (+${Math.round(requests / 10)} warm-up); default mode: ${defaultMode}`,
)
const seconds = (ms: number) => (ms / 1000).toFixed(2).padStart(9)
for (const load of LOADS) {
  const rows = results.filter((result) => result.load === load)
  console.log(
    `\nload ${Math.round(load * 100)} % (${(load * capacity).toFixed(1)} req/s); latencies in seconds`,
  )
  console.log(
    `${'strategy'.padEnd(26)}${['mean', 'p50', 'p95', 'p99', 'ttft p95', 'req/s'].map((cell) => cell.padStart(9)).join('')}  share per GPU class`,
  )
  for (const row of rows) {
    const shares = classes.map(
      (gpuClass) => `${gpuClass} ${Math.round((row.shareByClass[gpuClass] ?? 0) * 100)}%`,
    )
    console.log(
      `${row.strategy.padEnd(26)}${seconds(row.meanMs)}${seconds(row.p50Ms)}${seconds(row.p95Ms)}${seconds(row.p99Ms)}${seconds(row.ttftP95Ms)}${row.throughput.toFixed(1).padStart(9)}  ${shares.join(', ')}`,
    )
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10
const jsonRows = results.map((result) => ({
  load: result.load,
  strategy: result.strategy,
  meanMs: round1(result.meanMs),
  p50Ms: round1(result.p50Ms),
  p95Ms: round1(result.p95Ms),
  p99Ms: round1(result.p99Ms),
  ttftP95Ms: round1(result.ttftP95Ms),
  throughput: round1(result.throughput),
  arrivalRatePerS: round1(result.arrivalRatePerS),
  shareByClass: Object.fromEntries(
    Object.entries(result.shareByClass).map(([gpuClass, share]) => [
      gpuClass,
      Math.round(share * 1000) / 1000,
    ]),
  ),
}))

// The goal of issue 6: the default is best on p95 from 50 % load up, and ≥ 30 % below round-robin at 85 %.
const verdicts: string[] = []
for (const load of LOADS.filter((level) => level >= 0.5)) {
  const rows = results.filter((result) => result.load === load)
  const best = rows.reduce((a, b) => (b.p95Ms < a.p95Ms ? b : a))
  if (best.strategy !== defaultMode)
    verdicts.push(`at ${load * 100} % ${best.strategy} beats ${defaultMode} on p95`)
}
const at85 = (name: string) => results.find((result) => result.load === 0.85 && result.strategy === name)
const gain = 1 - (at85(defaultMode)?.p95Ms ?? Number.NaN) / (at85('round-robin')?.p95Ms ?? Number.NaN)
console.log(
  `\ndefault ${defaultMode}: p95 ${(gain * 100).toFixed(1)} % below round-robin at 85 %; ${verdicts.length === 0 ? 'best p95 at every load from 50 %' : verdicts.join('; ')}`,
)
console.log(`simulated in ${elapsedS.toFixed(1)} s`)

mkdirSync(dirname(RESULTS), { recursive: true })
writeFileSync(
  RESULTS,
  `${JSON.stringify(
    {
      default: defaultMode,
      capacityPerS: round1(capacity),
      requestsPerPoint: requests,
      seed: SEED,
      pushIntervalMs: DEFAULT_PUSH_INTERVAL_MS,
      fleet: hosts.map((host) => ({
        name: host.name,
        profile: host.profile.id,
        computeScore: host.computeScore,
        maxConcurrency: host.maxConcurrency,
        models: host.models,
      })),
      rows: jsonRows,
    },
    null,
    2,
  )}\n`,
)
mkdirSync(dirname(CHART), { recursive: true })
writeFileSync(
  CHART,
  renderP95Chart(
    jsonRows,
    COMPARED_STRATEGIES.map((strategy) => strategy.name),
    defaultMode,
  ),
)
console.log(`wrote ${RESULTS} and ${CHART}`)
