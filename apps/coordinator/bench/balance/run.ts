/**
 * `pnpm bench:balance`: every compared router × workload × load × seed on the hidden-factor world
 * (engine.ts), spread over worker threads; prints a summary, writes bench/results/balance.json, the
 * per-workload charts in docs/ and the generated blocks of docs/balancing-benchmark.md. With the
 * default among the strategies it also runs the default's replica (compared-routers.ts).
 * Options: --requests N (per run, default 3000), --seeds N, --first-seed N (default 20261129),
 * --workers N, --workloads a,b, --strategies a,b, --loads 0.5,0.85.
 * A filtered or shortened run (workloads, strategies, loads, fewer than 5 seeds, other seeds, fewer
 * requests: options.ts `isFull`) only prints, unless --write.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { ConfigSchema } from '../../src/config.js'
import { COMPARED_ROUTERS, DEFAULT_REPLICA } from './compared-routers.js'
import { readOptions } from './options.js'
import { chartFiles, docBlocks, fillBlocks, formatSpread, summaryTable } from './report.js'
import {
  aggregate,
  type BalanceResults,
  type BalanceRow,
  type BeforeLearningResults,
  readPublished,
  versus,
  withVersusDefault,
} from './results.js'
import { type SeedFigures, spread } from './stats.js'
import type { Job } from './worker.js'
import { WORKLOADS } from './world/workloads.js'

const ROOT = new URL('../../../../', import.meta.url)

const read = readOptions(process.argv.slice(2))
if ('error' in read) {
  console.error(`bench:balance: ${read.error}`)
  process.exit(2)
}
const { requests, seeds, workers: workerCount, workloads, strategies, loads: LOADS } = read
const defaultModeName: string = ConfigSchema.shape.loadBalancerMode.parse(undefined)
const defaultMode = `llm-fleet:${defaultModeName}`

const hasDefault = strategies.includes(defaultMode)
// The default's replica runs beside it; it is not one of the compared routers.
const runStrategies = hasDefault ? [...strategies, DEFAULT_REPLICA.name] : strategies
const jobs: Job[] = []
for (const workload of workloads)
  for (const load of LOADS)
    for (const strategy of runStrategies)
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
const replicaRows: BalanceRow[] = []
const seedFigures = (workload: string, load: number, strategy: string) =>
  jobs
    .filter((job) => job.workload === workload && job.load === load && job.strategy === strategy)
    .map((job) => figures[job.index] as SeedFigures)
for (const workload of workloads)
  for (const load of LOADS) {
    const replica = hasDefault ? seedFigures(workload, load, DEFAULT_REPLICA.name) : []
    if (hasDefault) replicaRows.push(aggregate(workload, load, DEFAULT_REPLICA.name, replica))
    for (const strategy of strategies) {
      const perSeed = seedFigures(workload, load, strategy)
      const row = aggregate(workload, load, strategy, perSeed)
      const isCompared = strategy !== defaultMode && hasDefault
      rows.push(
        isCompared
          ? {
              ...withVersusDefault(row, perSeed, seedFigures(workload, load, defaultMode)),
              versusReplica: versus(perSeed, replica),
            }
          : row,
      )
    }
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
  ...(hasDefault ? { replicaRows } : {}),
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

if (read.isFull || read.write) {
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
