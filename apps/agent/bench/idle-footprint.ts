/**
 * Idle footprint of the built agent: RSS, and CPU (% of one core) of the agent process alone and of
 * its nvidia-smi children apart, with the stand-in 8-GPU nvidia-smi (packages/fake-nvidia-smi on
 * gpuid__h100.xml) and a stub coordinator, at a 2 s interval; then the per-sample CPU cost of one
 * long-running `-lms` child against one nvidia-smi process per sample. Every figure is the median
 * over BENCH_RUNS runs with min and max. Prints a table and writes bench/results/agent.json.
 * Budget (issue 5): RSS < 80 MB, CPU < 1 % for the agent with a real nvidia-smi. The stand-in is a
 * Node.js process, far heavier per call than the C one, so the budget is judged on the agent alone.
 *
 *   pnpm --filter @llm-fleet/agent bench   (BENCH_RUNS=3, BENCH_DURATION_MS=30000 by default)
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FAKE_NVIDIA_SMI_BIN } from '@llm-fleet/fake-nvidia-smi'
import { LIVE_QUERY_FIELDS } from '../src/gpu/parse-query-gpu-csv.js'
import { runNvidiaSmi } from '../src/gpu/run-nvidia-smi.js'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../..')
const agentMain = resolve(here, '../dist/main.js')
const fixtures = join(repoRoot, 'fixtures/nvidia-smi')
const fakeNvidiaSmi = FAKE_NVIDIA_SMI_BIN
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 30_000)
const runs = Number(process.env.BENCH_RUNS ?? 3)
/** Past the one-off start-up work (parsing the 90 KB inventory XML), which the idle figure excludes. */
const warmupMs = 6000
const intervalMs = 2000
const clockTicksPerS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

if (!existsSync(agentMain)) {
  console.error('dist/main.js is missing: run `pnpm --filter @llm-fleet/agent build` first')
  process.exit(1)
}

/** /proc/<pid>/stat fields 14–17 (utime, stime, cutime, cstime) in ms, and the parent pid. */
function readStat(pid: number): { ppid: number; selfMs: number; reapedChildrenMs: number } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    void error // the process is gone
    return undefined
  }
  // The command name may contain spaces: split after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const ticks = (index: number) => Number(fields[index - 3])
  const toMs = (value: number) => (value * 1000) / clockTicksPerS
  return {
    ppid: ticks(4),
    selfMs: toMs(ticks(14) + ticks(15)),
    reapedChildrenMs: toMs(ticks(16) + ticks(17)),
  }
}

/** CPU ms of a process, its reaped children, and its live descendants (the `-lms` child). */
function treeCpuMs(pid: number): number {
  const split = splitCpuMs(pid)
  return split.selfMs + split.childrenMs
}

/**
 * CPU ms of the process itself, and of its children apart: reaped ones (cutime + cstime) plus
 * the live descendants' trees, so a `-lms` child still running counts too.
 */
function splitCpuMs(pid: number): { selfMs: number; childrenMs: number } {
  const stat = readStat(pid)
  if (stat === undefined) return { selfMs: 0, childrenMs: 0 }
  let childrenMs = stat.reapedChildrenMs
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const child = readStat(Number(entry))
    if (child?.ppid === pid) childrenMs += treeCpuMs(Number(entry))
  }
  return { selfMs: stat.selfMs, childrenMs }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match ? Number(match[1]) / 1024 : 0
}

function fakeBinary(capture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-bench-'))
  const path = join(dir, 'nvidia-smi')
  writeFileSync(path, `#!/bin/sh\nFAKE_NVSMI_XML='${join(fixtures, capture)}' exec '${fakeNvidiaSmi}' "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function measureAgent(binary: string) {
  let pushes = 0
  const server = createServer((request, response) => {
    request.resume()
    if (request.url === '/api/agents') {
      response.writeHead(201, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ agentId: 'bench', pushIntervalMs: intervalMs }))
      return
    }
    pushes += 1
    response.writeHead(204).end()
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const coordinatorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const agent = spawn(process.execPath, [agentMain], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      COORDINATOR_URL: coordinatorUrl,
      NVIDIA_SMI_PATH: binary,
      RUNTIME_URL: 'http://127.0.0.1:2',
      PUSH_INTERVAL_MS: String(intervalMs),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const pid = agent.pid
  if (pid === undefined) throw new Error('agent did not start')
  await sleep(warmupMs)
  const startCpu = splitCpuMs(pid)
  const startedAt = performance.now()
  const startPushes = pushes
  const rssSamples: number[] = []
  while (performance.now() - startedAt < durationMs) {
    await sleep(1000)
    rssSamples.push(rssMiB(pid))
  }
  rssSamples.sort((a, b) => a - b)
  const maxRssMiB = rssSamples.at(-1) ?? 0
  const medianRssMiB = rssSamples[Math.floor(rssSamples.length / 2)] ?? 0
  const elapsedMs = performance.now() - startedAt
  const endCpu = splitCpuMs(pid)
  const percentOf = (ms: number) => (ms / elapsedMs) * 100
  const samples = pushes - startPushes
  agent.kill('SIGTERM')
  await new Promise((done) => agent.on('exit', done))
  server.closeAllConnections()
  server.close()
  return {
    durationMs: Math.round(elapsedMs),
    samples,
    maxRssMiB,
    medianRssMiB,
    agentCpuPct: percentOf(endCpu.selfMs - startCpu.selfMs),
    nvidiaSmiCpuPct: percentOf(endCpu.childrenMs - startCpu.childrenMs),
    totalCpuPct: percentOf(endCpu.selfMs + endCpu.childrenMs - startCpu.selfMs - startCpu.childrenMs),
  }
}

const QUERY_ARGS = [`--query-gpu=${LIVE_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']

/** One nvidia-smi per sample: CPU of this process (spawning) plus its reaped children. */
async function measurePerSample(binary: string, samples: number) {
  const before = treeCpuMs(process.pid)
  for (let i = 0; i < samples; i++) {
    const outcome = await runNvidiaSmi(QUERY_ARGS, { binary, timeoutMs: 10_000 })
    if (outcome.kind !== 'ok') throw new Error(`nvidia-smi failed: ${outcome.kind}`)
  }
  return (treeCpuMs(process.pid) - before) / samples
}

/** One `-lms` child: its CPU (and ours, reading its lines) per block printed. */
async function measureLoop(binary: string, periodMs: number, runMs: number) {
  const before = treeCpuMs(process.pid)
  const child = spawn(binary, [...QUERY_ARGS, '-lms', String(periodMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let lines = 0
  child.stdout.on('data', (chunk: Buffer) => {
    lines += chunk.toString('utf8').split('\n').filter(Boolean).length
  })
  await sleep(runMs)
  const cpuMs = treeCpuMs(process.pid) - before
  child.kill('SIGKILL')
  const blocks = lines / 8
  return cpuMs / blocks
}

type Spread = { median: number; min: number; max: number }

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  // The middle run for odd counts; the mean of the two middle ones for even counts.
  const mid = sorted.length / 2
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 }
}

const show = ({ median, min, max }: Spread, digits: number) =>
  `${median.toFixed(digits)} [${min.toFixed(digits)}–${max.toFixed(digits)}]`

const binary = fakeBinary('gpuid__h100.xml')
const loadAvgBefore = loadavg()
type Run = Awaited<ReturnType<typeof measureAgent>> & {
  perSampleCpuMs: number
  lmsLoopCpuMsPerSample: number
}
const perRun: Run[] = []
for (let run = 0; run < runs; run++) {
  const agentRun = await measureAgent(binary)
  const perSampleCpuMs = await measurePerSample(binary, 15)
  const lmsLoopCpuMsPerSample = await measureLoop(binary, 200, 4000)
  perRun.push({ ...agentRun, perSampleCpuMs, lmsLoopCpuMsPerSample })
  console.log(`run ${run + 1}/${runs}:`, JSON.stringify(perRun.at(-1)))
}
const over = (pick: (run: Run) => number) => spread(perRun.map(pick))
const agentResult = {
  medianRssMiB: over((run) => run.medianRssMiB),
  maxRssMiB: over((run) => run.maxRssMiB),
  agentCpuPct: over((run) => run.agentCpuPct),
  nvidiaSmiCpuPct: over((run) => run.nvidiaSmiCpuPct),
  totalCpuPct: over((run) => run.totalCpuPct),
  samples: over((run) => run.samples),
}
const liveQuery = {
  perSampleCpuMs: over((run) => run.perSampleCpuMs),
  lmsLoopCpuMsPerSample: over((run) => run.lmsLoopCpuMsPerSample),
}

const rows = [
  ['agent RSS, median of 1 s samples', `${show(agentResult.medianRssMiB, 1)} MiB`, '< 80 MB'],
  ['agent RSS, max', `${show(agentResult.maxRssMiB, 1)} MiB`, '< 80 MB'],
  ['CPU % of one core, agent alone', show(agentResult.agentCpuPct, 2), '< 1 %'],
  ['CPU % of one core, stand-in nvidia-smi children', show(agentResult.nvidiaSmiCpuPct, 2), ''],
  ['CPU % of one core, total', show(agentResult.totalCpuPct, 2), ''],
  ['pushes measured per run', `${show(agentResult.samples, 0)} in ${durationMs / 1000} s`, ''],
  ['CPU ms per sample, one process per sample', show(liveQuery.perSampleCpuMs, 1), ''],
  ['CPU ms per sample, one -lms child', show(liveQuery.lmsLoopCpuMsPerSample, 2), ''],
]
console.log(
  `\nagent idle footprint (stand-in 8-GPU nvidia-smi, 2 s interval, ${runs} runs: median [min–max])\n`,
)
for (const [name, value, target] of rows) console.log(`${name?.padEnd(50)} ${value?.padStart(24)}  ${target}`)

const results = {
  bench: 'agent',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    // The 2-core bench machine may be shared: the 1-minute load before and after says how much.
    loadAvg1: { before: loadAvgBefore[0] ?? 0, after: loadavg()[0] ?? 0 },
  },
  settings: {
    runs,
    durationMs,
    warmupMs,
    intervalMs,
    gpus: 8,
    nvidiaSmi: 'packages/fake-nvidia-smi (Node.js) on fixtures/nvidia-smi/gpuid__h100.xml',
  },
  results: {
    agent: { ...agentResult, targets: { maxRssMiB: 80, agentCpuPct: 1 } },
    liveQuery: {
      ...liveQuery,
      chosen:
        liveQuery.lmsLoopCpuMsPerSample.median < liveQuery.perSampleCpuMs.median ? 'loop' : 'per-sample',
    },
    runs: perRun,
  },
}
const out = resolve(repoRoot, 'bench/results/agent.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwrote ${out}`)
