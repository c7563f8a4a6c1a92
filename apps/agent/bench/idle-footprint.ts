/**
 * Idle footprint of the built agent: RSS and CPU (% of one core, its nvidia-smi children included)
 * with a fake 8-GPU nvidia-smi (gpuid__h100.xml) and a stub coordinator, at a 2 s interval; then the
 * per-sample CPU cost of one long-running `-lms` child against one nvidia-smi process per sample.
 * Prints a table and writes bench/results/agent.json. Budget (issue 5): RSS < 80 MB, CPU < 1 %.
 *
 *   pnpm --filter @llm-fleet/agent bench           (BENCH_DURATION_MS=30000 by default)
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
import { cpus, tmpdir } from 'node:os'
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
  const stat = readStat(pid)
  if (stat === undefined) return 0
  let total = stat.selfMs + stat.reapedChildrenMs
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const child = readStat(Number(entry))
    if (child?.ppid === pid) total += treeCpuMs(Number(entry))
  }
  return total
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
      RUNTIME_URL: 'http://127.0.0.1:9',
      PUSH_INTERVAL_MS: String(intervalMs),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const pid = agent.pid
  if (pid === undefined) throw new Error('agent did not start')
  await sleep(warmupMs)
  const startCpuMs = treeCpuMs(pid)
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
  const cpuMs = treeCpuMs(pid) - startCpuMs
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
    cpuPctOfOneCore: (cpuMs / elapsedMs) * 100,
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

const agentResult = await measureAgent(fakeBinary('gpuid__h100.xml'))
const binary = fakeBinary('gpuid__h100.xml')
const perSampleMs = await measurePerSample(binary, 15)
const loopMs = await measureLoop(binary, 200, 4000)

const rows = [
  ['agent RSS (median of 1 s samples)', `${agentResult.medianRssMiB.toFixed(1)} MiB`, '< 80 MB'],
  ['agent RSS (max)', `${agentResult.maxRssMiB.toFixed(1)} MiB`, '< 80 MB'],
  [
    'agent CPU, % of one core (with nvidia-smi children)',
    `${agentResult.cpuPctOfOneCore.toFixed(2)} %`,
    '< 1 %',
  ],
  ['pushes measured', `${agentResult.samples} in ${(agentResult.durationMs / 1000).toFixed(0)} s`, ''],
  ['CPU per sample, one process per sample', `${perSampleMs.toFixed(1)} ms`, ''],
  ['CPU per sample, one -lms child', `${loopMs.toFixed(2)} ms`, ''],
]
console.log('\nagent idle footprint (fake 8-GPU nvidia-smi, 2 s interval)\n')
for (const [name, value, target] of rows) console.log(`${name?.padEnd(55)} ${value?.padStart(14)}  ${target}`)

const results = {
  bench: 'agent',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  settings: {
    durationMs,
    warmupMs,
    intervalMs,
    gpus: 8,
    nvidiaSmi: 'packages/fake-nvidia-smi (Node.js) on fixtures/nvidia-smi/gpuid__h100.xml',
  },
  results: {
    agent: { ...agentResult, targets: { maxRssMiB: 80, cpuPctOfOneCore: 1 } },
    liveQuery: {
      perSampleCpuMs: perSampleMs,
      lmsLoopCpuMsPerSample: loopMs,
      chosen: loopMs < perSampleMs ? 'loop' : 'per-sample',
    },
  },
}
const out = resolve(repoRoot, 'bench/results/agent.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwrote ${out}`)
