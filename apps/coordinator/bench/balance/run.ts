/**
 * `pnpm bench:balance`: every compared router × workload × load × seed on the hidden-factor world
 * (engine.ts), spread over worker threads; prints a summary, writes bench/results/balance.json, the
 * per-workload charts in docs/ and the generated blocks of docs/balancing-benchmark.md.
 * Options: --requests N (per run, default 3000), --seeds N, --first-seed N (default 20261129),
 * --workers N, --workloads a,b, --strategies a,b, --loads 0.5,0.85.
 * A filtered run (workloads/strategies/loads/seeds below 5) only prints, unless --write.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { ConfigSchema } from '../../src/config.js'
import { COMPARED_ROUTERS } from './compared-routers.js'
import { chartFiles, docBlocks, fillBlocks, formatSpread, summaryTable } from './report.js'
import {
  aggregate,
  type BalanceResults,
  type BalanceRow,
  type BeforeLearningResults,
  readPublished,
  withVersusDefault,
} from './results.js'
import { type SeedFigures, spread } from './stats.js'
import type { Job } from './worker.js'
import { WORKLOADS, type WorkloadName } from './world/workloads.js'

const ALL_LOADS = [0.3, 0.5, 0.7, 0.85, 0.95] as const
const BASE_SEED = 20_261_129
/**
 * Requests per run. At high load a run of 1 000 spanned under a minute of chat traffic and little more
 * than agentic's longest answers, so a throttle window lasted seconds and p95 rested on ~45 requests.
 * 3 000 keeps the full run within the bench's 10 minutes on a 2-core machine with room to spare (about
 * 6 minutes here); 4 000 would take about 8.
 */
const DEFAULT_REQUESTS = 3000
const ROOT = new URL('../../../../', import.meta.url)

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: String(DEFAULT_REQUESTS) },
    seeds: { type: 'string', default: '5' },
    'first-seed': { type: 'string', default: String(BASE_SEED) },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    workloads: { type: 'string' },
    strategies: { type: 'string' },
    loads: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
})
const requests = Number(values.requests)
const seedCount = Number(values.seeds)
const firstSeed = Number(values['first-seed'])
const workerCount = Number(values.workers)
if (!Number.isInteger(requests) || requests < 200) throw new Error('--requests must be an integer ≥ 200')
if (!Number.isInteger(seedCount) || seedCount < 1) throw new Error('--seeds must be a positive integer')
if (!Number.isInteger(firstSeed)) throw new Error('--first-seed must be an integer')
if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error('--workers must be a positive integer')
const workloads = (values.workloads?.split(',') ?? [...WORKLOADS]) as WorkloadName[]
const strategies = values.strategies?.split(',') ?? COMPARED_ROUTERS.map((router) => router.name)
const LOADS = values.loads === undefined ? [...ALL_LOADS] : values.loads.split(',').map(Number)
if (LOADS.some((load) => !(load > 0 && load < 1)))
  throw new Error('--loads must be fractions between 0 and 1')
const isFull =
  values.loads === undefined &&
  values.workloads === undefined &&
  values.strategies === undefined &&
  seedCount >= 5 &&
  firstSeed === BASE_SEED &&
  requests >= DEFAULT_REQUESTS
const defaultModeName: string = ConfigSchema.shape.loadBalancerMode.parse(undefined)
const defaultMode = `llm-fleet:${defaultModeName}`
const seeds = Array.from({ length: seedCount }, (_, index) => firstSeed + index)

const jobs: Job[] = []
for (const workload of workloads)
  for (const load of LOADS)
    for (const strategy of strategies)
      for (const seed of seeds) jobs.push({ index: jobs.length, workload, load, strategy, seed, requests })

const startedMs = performance.now()
const figures = new Array<SeedFigures>(jobs.length)
const capacities = new Map<string, number[]>()
await new Promise<void>((resolve, reject) => {
  let next = 0
  let finished = 0
  const workers = Array.from(
    { length: workerCount },
    () => new Worker(new URL('./worker-entry.mjs', import.meta.url)),
  )
  const feed = (worker: Worker) => {
    if (next < jobs.length) worker.postMessage(jobs[next++])
    else void worker.terminate()
  }
  for (const worker of workers) {
    worker.on('message', (message: { index: number; figures: SeedFigures; capacityPerS: number }) => {
      figures[message.index] = message.figures
      const job = jobs[message.index] as Job
      if (job.load === LOADS[0] && job.strategy === strategies[0]) {
        capacities.set(job.workload, [...(capacities.get(job.workload) ?? []), message.capacityPerS])
      }
      finished++
      if (finished % 50 === 0 || finished === jobs.length) {
        const elapsed = (performance.now() - startedMs) / 1000
        process.stderr.write(`\r${finished}/${jobs.length} runs, ${elapsed.toFixed(0)} s`)
      }
      if (finished === jobs.length) resolve()
      feed(worker)
    })
    worker.on('error', reject)
    feed(worker)
  }
})
const elapsedS = (performance.now() - startedMs) / 1000
process.stderr.write('\n')

const rows: BalanceRow[] = []
const seedFigures = (workload: string, load: number, strategy: string) =>
  jobs
    .filter((job) => job.workload === workload && job.load === load && job.strategy === strategy)
    .map((job) => figures[job.index] as SeedFigures)
for (const workload of workloads)
  for (const load of LOADS)
    for (const strategy of strategies) {
      const perSeed = seedFigures(workload, load, strategy)
      const row = aggregate(workload, load, strategy, perSeed)
      const isCompared = strategy !== defaultMode && strategies.includes(defaultMode)
      rows.push(isCompared ? withVersusDefault(row, perSeed, seedFigures(workload, load, defaultMode)) : row)
    }

const results: BalanceResults = {
  default: defaultMode,
  defaultMode: defaultModeName,
  requestsPerRun: requests,
  seeds,
  loads: [...LOADS],
  workloads,
  strategies,
  capacityPerS: Object.fromEntries([...capacities].map(([name, list]) => [name, spread(list, 2)])),
  rows,
}

for (const workload of workloads) {
  console.log(
    `\n${workload} (capacity ${formatCapacity(results, workload)} req/s): p95 TTFT / p95 e2e, s, median [min–max]`,
  )
  for (const load of LOADS) {
    console.log(`  load ${Math.round(load * 100)} %`)
    for (const row of rows.filter((r) => r.workload === workload && r.load === load)) {
      console.log(
        `    ${row.strategy.padEnd(36)} ${formatSpread(row.ttftP95Ms).padEnd(26)} ${formatSpread(row.e2eP95Ms).padEnd(26)} cold/1k ${String(row.coldLoadsPer1k.median).padStart(6)}  hit ${(row.prefixHitRate.median * 100).toFixed(0).padStart(3)} %  ${row.throughput.median} req/s`,
      )
    }
  }
}
if (
  strategies.includes(defaultMode) &&
  workloads.length === WORKLOADS.length &&
  strategies.length === COMPARED_ROUTERS.length
) {
  console.log(`\n${summaryTable(results)}`)
}
console.log(
  `\n${jobs.length} runs (${requests} requests each) on ${workerCount} worker(s) in ${elapsedS.toFixed(1)} s`,
)

if (isFull || values.write) {
  const resultsUrl = new URL('bench/results/balance.json', ROOT)
  writeFileSync(resultsUrl, `${JSON.stringify(results, null, 2)}\n`)
  for (const [name, svg] of Object.entries(chartFiles(results)))
    writeFileSync(new URL(`docs/${name}`, ROOT), svg)
  const pageUrl = new URL('docs/balancing-benchmark.md', ROOT)
  const before = readPublished<BeforeLearningResults>(ROOT, 'balance-before-learning.json')
  writeFileSync(pageUrl, fillBlocks(readFileSync(pageUrl, 'utf8'), docBlocks(results, before)))
  console.log('wrote bench/results/balance.json, docs/balance-*-p95.svg and docs/balancing-benchmark.md')
}

function formatCapacity(all: BalanceResults, workload: string): string {
  const value = all.capacityPerS[workload]
  return value === undefined ? '?' : `${value.median} [${value.min}–${value.max}]`
}
