/**
 * The balancing comparison end to end, with real processes: per strategy and run, a real coordinator
 * process, one real agent process per host (fake nvidia-smi on a real capture), mock Ollamas with
 * residency and prefix cache whose speed differs from what their agents can see, and the chat-session
 * workload (e2e/fleets.ts). Strategies alternate within each run so that the machine's changing load
 * spreads over all of them. Writes bench/results/balance-e2e.json, prints the table, and with
 * `--write-docs` fills the "End to end" table of docs/balancing-benchmark.md.
 *
 * Run: `pnpm build && pnpm --filter @llm-fleet/coordinator bench:balance:e2e` (a few minutes).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { loadConfig } from '../../src/config.js'
import { BALANCER_MODES } from '../../src/core/balancer/strategies.js'
import { E2E_HOSTS, E2E_MODELS, E2E_WORKLOAD } from './e2e/fleets.js'
import { runE2e } from './e2e/harness.js'
import { type E2eResults, e2eDocBlocks, e2eTable, figuresOf, type RunFigures, rowOf } from './e2e/summary.js'
import { fillBlocks } from './report.js'

const ROOT = new URL('../../../../', import.meta.url)
const SPEED_SCALE = 3
const PUSH_INTERVAL_MS = 1_000

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    strategies: { type: 'string', default: ['default', ...BALANCER_MODES].join(',') },
    'write-docs': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/balance-e2e.json' },
  },
})
const runs = Number(values.runs)
const strategies = (values.strategies ?? '').split(',').filter(Boolean)
const defaultMode = loadConfig({ env: {}, argv: [] }).loadBalancerMode

const loadAvgStart = loadavg()
const figures = new Map<string, RunFigures[]>(strategies.map((strategy) => [strategy, []]))
console.log(
  `e2e: ${E2E_HOSTS.length} hosts, ${E2E_WORKLOAD.sessions} chat sessions per run, ${runs} runs × ${strategies.join(', ')}; load average ${loadAvgStart.map((value) => value.toFixed(1)).join(' ')}`,
)
for (let run = 0; run < runs; run++) {
  for (const strategy of strategies) {
    const result = await runE2e({
      hosts: E2E_HOSTS,
      models: E2E_MODELS,
      workload: { ...E2E_WORKLOAD, seed: E2E_WORKLOAD.seed + run },
      mode: strategy === 'default' ? undefined : strategy,
      speedScale: SPEED_SCALE,
      pushIntervalMs: PUSH_INTERVAL_MS,
    })
    const runFigures = figuresOf(result)
    figures.get(strategy)?.push(runFigures)
    console.log(
      `run ${run + 1} ${strategy.padEnd(15)} TTFT p50 ${runFigures.ttftP50Ms.toFixed(0)} p95 ${runFigures.ttftP95Ms.toFixed(0)} ms, e2e p95 ${runFigures.e2eP95Ms.toFixed(0)} ms, cold ${runFigures.coldLoadsPer1k.toFixed(0)}/1k, prefix ${(runFigures.prefixHitShare * 100).toFixed(0)} %, failed ${runFigures.failed} (${(result.wallMs / 1000).toFixed(0)} s)`,
    )
  }
}

const results: E2eResults = {
  generatedAt: new Date().toISOString(),
  defaultMode,
  speedScale: SPEED_SCALE,
  pushIntervalMs: PUSH_INTERVAL_MS,
  hosts: E2E_HOSTS.map(({ name, profile, capture, hiddenSpeed, vramGiB }) => ({
    name,
    profile,
    capture,
    hiddenSpeed,
    vramGiB,
  })),
  models: E2E_MODELS,
  workload: { ...E2E_WORKLOAD },
  machine: { cpus: cpus().length, loadAvgStart, loadAvgEnd: loadavg() },
  rows: strategies.map((strategy) => rowOf(strategy, figures.get(strategy) ?? [])),
}
writeFileSync(new URL(values.out ?? '', ROOT), `${JSON.stringify(results, null, 2)}\n`)
console.log(`\n${e2eTable(results)}`)
if (values['write-docs'] === true) {
  const pageUrl = new URL('docs/balancing-benchmark.md', ROOT)
  writeFileSync(pageUrl, fillBlocks(readFileSync(pageUrl, 'utf8'), e2eDocBlocks(results)))
}
