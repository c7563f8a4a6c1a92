/**
 * The proxy's overhead, side by side in one run: short non-streaming requests (closed loop: requests
 * per second, p50/p99; open loop at a fixed 1 000 req/s: p50/p99) and chunks per second through a
 * streaming response, for
 *   direct       the runtime itself, no proxy; logs nothing
 *   coordinator  the built app (buildApp); its one info line per request (`proxied`), batched as
 *                main.ts does, goes to /dev/null instead of stdout
 *   reply-from   a bare fastify + @fastify/reply-from proxy; logs nothing (the bare baseline)
 *   nginx        where installed (`scripts/setup.sh --bench`; skipped with a note otherwise): one
 *                buffered access-log line per request to /dev/null (see proxy/nginx-reference.ts)
 * Every server and the load generator run in their own processes (this file, forked with a role),
 * so the client never shares an event loop with a server. Writes bench/results/proxy.json at the
 * repository root. Targets (issue 4): coordinator ≥ 0.9x reply-from's throughput; added p99 < 2 ms
 * at 1 000 req/s.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, openSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import replyFrom from '@fastify/reply-from'
import Fastify from 'fastify'
import { Pool } from 'undici'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createBalancerState } from '../src/core/balancer/strategy.js'
import { BatchedLogDestination } from '../src/log-destination.js'
import { NodeRegistry } from '../src/registry/node-registry.js'
import { stopChild } from './internal/child-process.js'
import { runClosedLoop } from './internal/closed-loop-load.js'
import { runOpenLoop } from './internal/open-loop-load.js'
import { summarizeLatencies } from './internal/percentiles.js'
import { postJson } from './internal/post-json.js'
import { readCpuSeconds } from './internal/proc-stats.js'
import { startNginx } from './proxy/nginx-reference.js'

const MODEL = 'bench-model'
const CHAT_PATH = '/v1/chat/completions'
const SHORT_BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say ok.' }] })
const STREAM_BODY = JSON.stringify({
  model: MODEL,
  messages: [{ role: 'user', content: 'Count.' }],
  stream: true,
})
const SHORT_ANSWER = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
})
/** One SSE event of a typical size (a token delta). */
const STREAM_CHUNK = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ delta: { content: 'tok' } }] })}\n\n`
const STREAM_CHUNKS_PER_RESPONSE = 2_000

const ROUNDS = 5
const CLOSED_LOOP_CONNECTIONS = 16
const WARMUP_MS = 500
const CLOSED_LOOP_MS = 2_000
const FIXED_RATE_PER_S = 1_000
const FIXED_RATE_MS = 2_000
const STREAM_CONCURRENCY = 4
const STREAM_MS = 1_500

const THIS_FILE = fileURLToPath(import.meta.url)
const RESULTS_FILE = fileURLToPath(new URL('../../../bench/results/proxy.json', import.meta.url))

type Role = 'runtime' | 'coordinator' | 'reply-from' | 'loadgen'

interface LoadSpec {
  readonly kind: 'closed' | 'rate' | 'stream'
  readonly url: string
}

interface LatencyResult {
  /** Requests answered, warm-up included (for CPU per request). */
  readonly requests: number
  readonly requestsPerS: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
}

interface StreamResult {
  readonly chunks: number
  readonly chunksPerS: number
  readonly errors: number
}

interface TargetResult {
  readonly target: string
  /**
   * CPU time the proxy process spent per request in the closed loop (user + system), warm-up
   * included: unlike requests per second, it barely moves when other processes load the machine.
   * Null for `direct` (no proxy). Read from /proc, so at 10 ms resolution over a whole sample.
   */
  readonly proxyCpuUsPerRequest: number | null
  readonly proxyCpuUsPerChunk: number | null
  readonly closedLoop: LatencyResult
  readonly fixedRate: LatencyResult
  readonly stream: StreamResult
  /** Every measured round's figure, in round order (the medians above are of these): the spread. */
  readonly rounds: {
    readonly requestsPerS: readonly number[]
    readonly fixedRateP99Ms: readonly number[]
    readonly chunksPerS: readonly number[]
    readonly cpuUsPerRequest: readonly (number | null)[]
  }
}

const role = process.argv.find((arg) => arg.startsWith('--role='))?.slice('--role='.length) as
  | Role
  | undefined
if (role === undefined) await orchestrate()
else await runRole(role)

// ---------------------------------------------------------------------------------------------------
// Orchestration

async function orchestrate(): Promise<void> {
  console.log(
    `proxy bench: ${cpus().length} CPUs, node ${process.version}; ${ROUNDS} interleaved rounds per case, medians`,
  )
  const runtime = await startChild('runtime', [])
  const runtimeUrl = `http://127.0.0.1:${runtime.port}`
  const notes: string[] = []
  const targets: Target[] = [{ name: 'direct', url: runtimeUrl, cpuSeconds: null }]
  const stops: (() => Promise<void>)[] = [() => stopChild(runtime.process)]
  try {
    for (const name of ['coordinator', 'reply-from'] as const) {
      const child = await startChild(name, [runtimeUrl])
      stops.push(() => stopChild(child.process))
      const pid = child.process.pid
      if (pid === undefined) throw new Error(`${name} did not start`)
      targets.push({ name, url: `http://127.0.0.1:${child.port}`, cpuSeconds: () => readCpuSeconds(pid) })
    }
    const nginx = await startNginx(runtime.port)
    if (nginx === null) {
      notes.push(
        'nginx: skipped, not installed (as root: scripts/setup.sh --bench, or apt-get install nginx)',
      )
    } else {
      stops.push(() => nginx.stop())
      targets.push({ name: 'nginx', url: nginx.url, cpuSeconds: () => nginx.cpuSeconds() })
    }
    for (const note of notes) console.log(note)
    report(await measureInterleaved(targets), notes)
  } finally {
    for (const stop of stops.reverse()) await stop()
  }
}

interface Target {
  readonly name: string
  readonly url: string
  /** The proxy's CPU time so far (seconds, every process of it); null for `direct`. */
  readonly cpuSeconds: (() => number) | null
}

interface Sample<T> {
  readonly result: T
  readonly cpuUs: number | null
}

/**
 * Every case runs ROUNDS times with the targets interleaved (a, b, c, a, b, c, …), after a warm-up
 * round that is not measured: on a shared machine load comes in bursts, and measuring one target
 * after another would pin a burst on one of them. Each figure is the median round's.
 */
async function measureInterleaved(targets: readonly Target[]): Promise<TargetResult[]> {
  const samples = new Map<
    string,
    { closed: Sample<LatencyResult>[]; rate: LatencyResult[]; stream: Sample<StreamResult>[] }
  >(targets.map((target) => [target.name, { closed: [], rate: [], stream: [] }]))
  // One unmeasured round first: a process's first seconds of load are its JIT's (the coordinator's
  // first closed loop took about twice the CPU per request of its later ones), and with three rounds
  // that one would often be the median.
  process.stdout.write('  warm-up round…')
  for (const target of targets) {
    await runLoad({ kind: 'closed', url: target.url })
    await runLoad({ kind: 'stream', url: target.url })
  }
  process.stdout.write(' done\n')
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`  round ${round}/${ROUNDS}…`)
    for (const target of targets) {
      const bucket = samples.get(target.name)
      if (bucket === undefined) continue
      bucket.closed.push(await sampleWithCpu(target, { kind: 'closed', url: target.url }))
      bucket.rate.push((await runLoad({ kind: 'rate', url: target.url })) as LatencyResult)
      bucket.stream.push(await sampleWithCpu(target, { kind: 'stream', url: target.url }))
    }
    process.stdout.write(' done\n')
  }
  return targets.map((target) => {
    const bucket = samples.get(target.name)
    if (bucket === undefined) throw new Error(`no samples for ${target.name}`)
    const closedLoop = medianBy(bucket.closed, (sample) => sample.result.requestsPerS)
    const stream = medianBy(bucket.stream, (sample) => sample.result.chunksPerS)
    const cpuPerRequest = bucket.closed.map((sample) =>
      sample.cpuUs === null ? null : sample.cpuUs / sample.result.requests,
    )
    const cpuPerChunk = bucket.stream.map((sample) =>
      sample.cpuUs === null ? null : sample.cpuUs / sample.result.chunks,
    )
    return {
      target: target.name,
      proxyCpuUsPerRequest: medianOrNull(cpuPerRequest),
      proxyCpuUsPerChunk: medianOrNull(cpuPerChunk),
      closedLoop: closedLoop.result,
      fixedRate: medianBy(bucket.rate, (result) => result.p99Ms),
      stream: stream.result,
      rounds: {
        requestsPerS: bucket.closed.map((sample) => sample.result.requestsPerS),
        fixedRateP99Ms: bucket.rate.map((result) => result.p99Ms),
        chunksPerS: bucket.stream.map((sample) => sample.result.chunksPerS),
        cpuUsPerRequest: cpuPerRequest,
      },
    }
  })
}

async function sampleWithCpu<T extends LatencyResult | StreamResult>(
  target: Target,
  spec: LoadSpec,
): Promise<Sample<T>> {
  const before = target.cpuSeconds?.() ?? null
  const result = (await runLoad(spec)) as T
  const after = target.cpuSeconds?.() ?? null
  return { result, cpuUs: before === null || after === null ? null : (after - before) * 1_000_000 }
}

function medianBy<T>(items: readonly T[], value: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => value(a) - value(b))
  const middle = sorted[Math.floor(sorted.length / 2)]
  if (middle === undefined) throw new Error('median of nothing')
  return middle
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const numbers = values.filter((value) => value !== null)
  return numbers.length === 0 ? null : medianBy(numbers, (value) => value)
}

function report(results: readonly TargetResult[], notes: readonly string[]): void {
  const byTarget = new Map(results.map((result) => [result.target, result]))
  const direct = byTarget.get('direct')
  const rows = results.map((result) => ({
    target: result.target,
    'req/s': Math.round(result.closedLoop.requestsPerS),
    'p50 ms': result.closedLoop.p50Ms.toFixed(2),
    'p99 ms': result.closedLoop.p99Ms.toFixed(2),
    '@1000/s p50 ms': result.fixedRate.p50Ms.toFixed(2),
    '@1000/s p99 ms': result.fixedRate.p99Ms.toFixed(2),
    'added p99 ms': direct === undefined ? '' : (result.fixedRate.p99Ms - direct.fixedRate.p99Ms).toFixed(2),
    'chunks/s': Math.round(result.stream.chunksPerS),
    'CPU µs/req': result.proxyCpuUsPerRequest === null ? '' : result.proxyCpuUsPerRequest.toFixed(1),
    'CPU µs/chunk': result.proxyCpuUsPerChunk === null ? '' : result.proxyCpuUsPerChunk.toFixed(2),
    errors: result.closedLoop.errors + result.fixedRate.errors + result.stream.errors,
  }))
  console.table(rows)

  const coordinator = byTarget.get('coordinator')
  const replyFromResult = byTarget.get('reply-from')
  const ratios: Record<string, number> = {}
  if (coordinator !== undefined && replyFromResult !== undefined) {
    ratios.coordinatorVsReplyFromThroughput =
      coordinator.closedLoop.requestsPerS / replyFromResult.closedLoop.requestsPerS
    ratios.coordinatorVsReplyFromChunks = coordinator.stream.chunksPerS / replyFromResult.stream.chunksPerS
  }
  if (
    coordinator?.proxyCpuUsPerRequest != null &&
    replyFromResult?.proxyCpuUsPerRequest != null &&
    coordinator.proxyCpuUsPerRequest > 0
  ) {
    ratios.coordinatorVsReplyFromCpuEfficiency =
      replyFromResult.proxyCpuUsPerRequest / coordinator.proxyCpuUsPerRequest
  }
  if (coordinator !== undefined && direct !== undefined) {
    ratios.coordinatorVsDirectThroughput =
      coordinator.closedLoop.requestsPerS / direct.closedLoop.requestsPerS
    ratios.coordinatorAddedP99MsAt1000 = coordinator.fixedRate.p99Ms - direct.fixedRate.p99Ms
  }
  const nginx = byTarget.get('nginx')
  if (coordinator !== undefined && nginx !== undefined) {
    ratios.coordinatorVsNginxThroughput = coordinator.closedLoop.requestsPerS / nginx.closedLoop.requestsPerS
    if (coordinator.proxyCpuUsPerRequest !== null && nginx.proxyCpuUsPerRequest !== null) {
      // How many times nginx's CPU a request costs through the coordinator.
      ratios.coordinatorVsNginxCpuPerRequest = coordinator.proxyCpuUsPerRequest / nginx.proxyCpuUsPerRequest
    }
    if (replyFromResult?.proxyCpuUsPerRequest != null && nginx.proxyCpuUsPerRequest !== null) {
      ratios.replyFromVsNginxCpuPerRequest = replyFromResult.proxyCpuUsPerRequest / nginx.proxyCpuUsPerRequest
    }
  }
  for (const [name, value] of Object.entries(ratios)) console.log(`${name}: ${value.toFixed(2)}`)
  const throughputRatio = ratios.coordinatorVsReplyFromThroughput
  const addedP99 = ratios.coordinatorAddedP99MsAt1000
  if (throughputRatio !== undefined) {
    console.log(`target coordinator ≥ 0.9x reply-from: ${throughputRatio >= 0.9 ? 'met' : 'NOT met'}`)
  }
  if (addedP99 !== undefined)
    console.log(`target added p99 < 2 ms at 1000 req/s: ${addedP99 < 2 ? 'met' : 'NOT met'}`)
  for (const note of notes) console.log(note)

  mkdirSync(join(RESULTS_FILE, '..'), { recursive: true })
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        bench: 'proxy',
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version },
        settings: {
          rounds: ROUNDS,
          closedLoopConnections: CLOSED_LOOP_CONNECTIONS,
          closedLoopMs: CLOSED_LOOP_MS,
          fixedRatePerS: FIXED_RATE_PER_S,
          fixedRateMs: FIXED_RATE_MS,
          streamConcurrency: STREAM_CONCURRENCY,
          streamChunksPerResponse: STREAM_CHUNKS_PER_RESPONSE,
          streamMs: STREAM_MS,
        },
        results,
        ratios,
        notes,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`wrote ${RESULTS_FILE}`)
}

interface Child {
  readonly process: ChildProcess
  readonly port: number
}

/** Forks this file in a role (tsx's loader comes along in execArgv) and waits for its port. */
async function startChild(childRole: Exclude<Role, 'loadgen'>, args: readonly string[]): Promise<Child> {
  const child = fork(THIS_FILE, [`--role=${childRole}`, ...args], { stdio: 'inherit' })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { process: child, port: message.port }
}

async function runLoad(spec: LoadSpec): Promise<LatencyResult | StreamResult> {
  const child = fork(THIS_FILE, ['--role=loadgen', JSON.stringify(spec)], { stdio: 'inherit' })
  const [result] = (await once(child, 'message')) as [LatencyResult | StreamResult]
  await once(child, 'exit')
  return result
}

// ---------------------------------------------------------------------------------------------------
// Roles

async function runRole(childRole: Role): Promise<void> {
  const send = (message: unknown) => process.send?.(message)
  process.once('SIGTERM', () => process.exit(0))
  // An orchestrator that died (or was killed) must not leave servers behind.
  if (childRole !== 'loadgen') process.once('disconnect', () => process.exit(0))
  switch (childRole) {
    case 'runtime': {
      send({ port: await startRuntime() })
      return
    }
    case 'coordinator': {
      send({ port: await startCoordinatorServer(argAt(3)) })
      return
    }
    case 'reply-from': {
      send({ port: await startReplyFrom(argAt(3)) })
      return
    }
    case 'loadgen': {
      const spec = JSON.parse(argAt(3)) as LoadSpec
      send(await generateLoad(spec))
      process.disconnect()
      return
    }
  }
}

function argAt(index: number): string {
  const value = process.argv[index]
  if (value === undefined) throw new Error(`missing argument ${index}`)
  return value
}

/** The smallest runtime: a fixed short answer, or STREAM_CHUNKS_PER_RESPONSE SSE events as fast as the socket takes them. */
async function startRuntime(): Promise<number> {
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (part: string) => {
      body += part
    })
    request.on('end', () => {
      if (!body.includes('"stream":true')) {
        response.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(SHORT_ANSWER),
        })
        response.end(SHORT_ANSWER)
        return
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      let sent = 0
      const writeMore = () => {
        while (sent < STREAM_CHUNKS_PER_RESPONSE) {
          sent++
          if (!response.write(STREAM_CHUNK)) {
            response.once('drain', writeMore)
            return
          }
        }
        response.end('data: [DONE]\n\n')
      }
      writeMore()
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** The coordinator as production builds it: buildApp, pino at info to a file (/dev/null), one node. */
async function startCoordinatorServer(runtimeUrl: string): Promise<number> {
  const config = loadConfig({ env: { PORT: '0', LOG_LEVEL: 'info' }, argv: [] })
  // As main.ts logs (info, batched NDJSON), into /dev/null instead of stdout.
  const logger = Fastify({
    logger: { level: 'info', stream: new BatchedLogDestination(openSync('/dev/null', 'w')) },
  }).log
  const clock = () => performance.timeOrigin + performance.now()
  const registry = new NodeRegistry({
    clock,
    // The bench sends no metrics pushes: keep the node online for the whole run.
    ttlMs: 3_600_000,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    log: logger.child({ component: 'registry' }),
  })
  registry.register({
    hostname: 'bench-node',
    agentVersion: 'bench',
    runtime: { kind: 'openai', url: runtimeUrl },
    cpu: { model: 'bench', cores: cpus().length },
    memoryTotalBytes: 1024 ** 3,
    gpus: [],
    driverVersion: null,
    cudaVersion: null,
    computeScore: 100,
    maxConcurrency: 64,
    models: [MODEL],
  })
  const balancerState = createBalancerState(Math.random, { mode: config.loadBalancerMode })
  const app = await buildApp({ registry, balancerState, clock, logger }, config)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/** fastify-reply-from with its undici defaults: the bare proxy the coordinator is held against. */
async function startReplyFrom(runtimeUrl: string): Promise<number> {
  const app = Fastify({ logger: false })
  await app.register(replyFrom, { base: runtimeUrl })
  app.post('/*', (_request, reply) => reply.from())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

// ---------------------------------------------------------------------------------------------------
// Load generation (its own process)

async function generateLoad(spec: LoadSpec): Promise<LatencyResult | StreamResult> {
  const pool = new Pool(spec.url, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 })
  try {
    if (spec.kind === 'stream') return await streamLoad(pool)
    const warmup = await closedLoop(pool, WARMUP_MS)
    const measured =
      spec.kind === 'closed'
        ? await closedLoop(pool, CLOSED_LOOP_MS)
        : await fixedRate(pool, FIXED_RATE_PER_S, FIXED_RATE_MS)
    return { ...measured, requests: measured.requests + warmup.requests }
  } finally {
    await pool.close()
  }
}

async function shortRequest(pool: Pool): Promise<boolean> {
  const response = await postJson(pool, CHAT_PATH, SHORT_BODY)
  await response.body.text()
  return response.statusCode === 200
}

/** Times one short request into `latenciesMs`; false when it failed (an error status or a throw). */
async function timedShortRequest(pool: Pool, latenciesMs: number[]): Promise<boolean> {
  const sentAt = performance.now()
  let isOk = false
  try {
    isOk = await shortRequest(pool)
  } catch {
    // A failed request is counted, not thrown: the bench reports errors beside its numbers.
  }
  latenciesMs.push(performance.now() - sentAt)
  return isOk
}

async function closedLoop(pool: Pool, durationMs: number): Promise<LatencyResult> {
  const latenciesMs: number[] = []
  let errors = 0
  const startedAt = performance.now()
  await runClosedLoop(CLOSED_LOOP_CONNECTIONS, AbortSignal.timeout(durationMs), async () => {
    if (!(await timedShortRequest(pool, latenciesMs))) errors++
  })
  return summarize(latenciesMs, performance.now() - startedAt, errors)
}

/** Open loop: requests leave on schedule whatever the answers do, so queueing shows in the latency. */
async function fixedRate(pool: Pool, ratePerS: number, durationMs: number): Promise<LatencyResult> {
  const latenciesMs: number[] = []
  let errors = 0
  const run = await runOpenLoop({
    ratePerS,
    durationMs,
    async send() {
      if (!(await timedShortRequest(pool, latenciesMs))) errors++
    },
  })
  return summarize(latenciesMs, run.elapsedMs, errors)
}

async function streamLoad(pool: Pool): Promise<StreamResult> {
  let bytes = 0
  let errors = 0
  const startedAt = performance.now()
  await runClosedLoop(STREAM_CONCURRENCY, AbortSignal.timeout(STREAM_MS), async () => {
    try {
      const response = await postJson(pool, CHAT_PATH, STREAM_BODY)
      for await (const part of response.body) bytes += (part as Buffer).length
    } catch {
      // Counted and reported beside the result.
      errors++
    }
  })
  const seconds = (performance.now() - startedAt) / 1_000
  const chunks = bytes / Buffer.byteLength(STREAM_CHUNK)
  return { chunks, chunksPerS: chunks / seconds, errors }
}

function summarize(latenciesMs: readonly number[], elapsedMs: number, errors: number): LatencyResult {
  const { count, p50Ms, p99Ms } = summarizeLatencies(latenciesMs)
  return { requests: count, requestsPerS: (count / elapsedMs) * 1_000, p50Ms, p99Ms, errors }
}
