/**
 * `pnpm bench:balance:tails`: for each figure where a rival has a lower median p95 than the default
 * in bench/results/balance.json, runs the default and that rival again on the published seeds (the
 * same worlds and requests) and records where each one's slowest 5 % went and what they waited for
 * (tail-breakdown.ts). Writes bench/results/balance-tails.json and the balance-rival-tails block of
 * docs/balancing-benchmark.md. Run it after bench:balance.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { comparedRouter } from './compared-routers.js'
import { runOnce } from './engine.js'
import { fillBlocks, rivalWinFigures } from './report.js'
import { type BalanceResults, readPublished } from './results.js'
import { seedCountsTable, TailCollector, type TailsResults, tailsTable } from './tail-breakdown.js'
import type { WorkloadName } from './world/workloads.js'

const ROOT = new URL('../../../../', import.meta.url)
const balance = readPublished<BalanceResults>(ROOT, 'balance.json')

const figures = rivalWinFigures(balance).map((figure) => {
  const rows = [balance.default, figure.winner].map((strategy) => {
    const collector = new TailCollector(strategy, figure.metric)
    for (const seed of balance.seeds) {
      const result = runOnce({
        workload: figure.workload as WorkloadName,
        load: figure.load,
        seed,
        requests: balance.requestsPerRun,
        makeRouter: comparedRouter(strategy).make,
        onRequestDone: (job, host) => collector.record(job, host),
      })
      collector.endRun(result.warmupEndMs)
    }
    return collector.summary()
  })
  process.stderr.write(`${figure.name}: done\n`)
  return { name: figure.name, workload: figure.workload, load: figure.load, metric: figure.metric, rows }
})

const results: TailsResults = {
  describes:
    "Per figure where a rival has the lower median p95 in balance.json: where the default and that rival sent their slowest 5 % of each seed; then, as medians over the seeds of each seed's mean, the seconds those requests spent in each part, their time to the first token, their answer length and their decode rate; p95Ms is the figure itself, as a check against balance.json.",
  command: 'pnpm bench:balance:tails',
  default: balance.default,
  seeds: balance.seeds,
  requestsPerRun: balance.requestsPerRun,
  figures,
}
writeFileSync(new URL('bench/results/balance-tails.json', ROOT), `${JSON.stringify(results, null, 2)}\n`)
const pageUrl = new URL('docs/balancing-benchmark.md', ROOT)
const page = readFileSync(pageUrl, 'utf8')
const blocks = {
  'balance-rival-tails': tailsTable(results),
  'balance-rival-tails-seeds': seedCountsTable(results),
}
writeFileSync(pageUrl, fillBlocks(page, blocks))
console.log(`${blocks['balance-rival-tails']}\n\n${blocks['balance-rival-tails-seeds']}`)
console.log('wrote bench/results/balance-tails.json and docs/balancing-benchmark.md')
