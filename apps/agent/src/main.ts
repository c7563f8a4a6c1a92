#!/usr/bin/env node
/**
 * Composition root of `llm-fleet-agent`: settings → logger → samplers → push loop → signals.
 * The only module that exits the process.
 */
import { createRequire } from 'node:module'
import { hostname, networkInterfaces } from 'node:os'
import { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { AgentSampler } from './agent-sampler.js'
import { EXIT_CONFIG_UNAUTHORIZED, EXIT_FAILURE, EXIT_OK, parseCommandLine } from './cli.js'
import type { Config } from './config.js'
import { CoordinatorClient } from './coordinator-client.js'
import { GpuMonitor } from './gpu/gpu-monitor.js'
import { CpuMemorySampler, readHostInfo } from './host/cpu-memory-sampler.js'
import { createLogger, type Logger } from './log.js'
import { PushLoop } from './push-loop.js'
import { defaultAdvertiseUrl } from './runtime/advertise-url.js'
import { RuntimeProbe } from './runtime/detect-runtime.js'

/** SIGTERM to exit: systemd's default stop timeout is 90 s, but the issue promises 5. */
const SHUTDOWN_GRACE_MS = 4500
/** The part of the grace period given to DELETE /api/agents/:id on every coordinator. */
const DEREGISTER_TIMEOUT_MS = 3000
/** Per-request timeout towards a coordinator; never more than one push interval. */
const COORDINATOR_TIMEOUT_MS = 5000

/**
 * A log pipe whose reader went away (`llm-fleet-agent | head`, a log shipper restarting) answers
 * EPIPE, which an unhandled stream 'error' turns into the agent's exit: the node would drop out of the
 * fleet over a log line. EPIPE on stdout is ignored instead, and the destroyed stream drops every later
 * line (no one can read them); any other error there still ends the process, as it did unhandled.
 * stderr carries only warnings: any error on it is ignored, since Node's console absorbs only the
 * first one and a second warning a tick later would end the process.
 */
function keepPushingWhenLogsClose(): void {
  process.stdout.on('error', (error) => {
    if ('code' in error && error.code === 'EPIPE') return
    throw error
  })
  process.stderr.on('error', () => {})
}

function readAgentVersion(): string {
  const packageJson: unknown = createRequire(import.meta.url)('../package.json')
  const version = (packageJson as { version?: unknown }).version
  return typeof version === 'string' ? version : '0.0.0'
}

function buildSampler(config: Config, log: Logger): { sampler: AgentSampler; gpu: GpuMonitor } {
  const gpu = new GpuMonitor({
    binary: config.NVIDIA_SMI_PATH,
    timeoutMs: config.NVIDIA_SMI_TIMEOUT_MS,
    intervalMs: config.PUSH_INTERVAL_MS,
    log: log.child({ component: 'gpu' }),
  })
  const sampler = new AgentSampler({
    hostname: config.NODE_NAME ?? hostname(),
    agentVersion: readAgentVersion(),
    hostInfo: readHostInfo(),
    advertiseUrl: config.ADVERTISE_URL ?? defaultAdvertiseUrl(config.RUNTIME_URL, networkInterfaces()),
    maxConcurrency: config.MAX_CONCURRENCY,
    labels: config.LABELS,
    gpu,
    host: new CpuMemorySampler(),
    runtime: new RuntimeProbe({
      url: config.RUNTIME_URL,
      kind: config.RUNTIME_KIND,
      apiKey: config.RUNTIME_API_KEY,
      log: log.child({ component: 'runtime' }),
    }),
    runtimeApiKey: config.RUNTIME_API_KEY,
  })
  return { sampler, gpu }
}

/** `llm-fleet-agent sample`: what the agent sees, as JSON, validated against the wire schemas. */
async function sampleOnce(config: Config): Promise<number> {
  const log = createLogger({ level: 'silent' })
  const { sampler, gpu } = buildSampler(config, log)
  try {
    await gpu.refreshInventory()
    // The first CPU reading needs an interval to measure over.
    await new Promise((resolve) => setTimeout(resolve, 250))
    const sample = await sampler.takeSample()
    const registration = AgentRegistration.parse(sample.registration)
    const metrics = AgentMetrics.parse({ ...sample.metrics, agentId: 'sample' })
    // The runtime's key is a secret: the printout says one is set, never what it is.
    const shown =
      registration.runtime.apiKey === undefined
        ? registration
        : { ...registration, runtime: { ...registration.runtime, apiKey: '(set; hidden)' } }
    console.log(JSON.stringify({ registration: shown, metrics, gpuState: gpu.state }, null, 2))
    return EXIT_OK
  } finally {
    gpu.close()
  }
}

async function runAgent(config: Config): Promise<number> {
  keepPushingWhenLogsClose()
  const log = createLogger({ level: config.LOG_LEVEL })
  const { sampler, gpu } = buildSampler(config, log)
  const coordinatorUrls = config.COORDINATOR_URL ?? []
  const coordinators = coordinatorUrls.map(
    (url) =>
      new CoordinatorClient({
        url,
        token: config.AGENT_TOKEN,
        timeoutMs: Math.min(COORDINATOR_TIMEOUT_MS, config.PUSH_INTERVAL_MS),
      }),
  )
  const loop = new PushLoop({
    coordinators,
    takeSample: () => sampler.takeSample(),
    intervalMs: config.PUSH_INTERVAL_MS,
    backoffMaxMs: config.BACKOFF_MAX_MS,
    log: log.child({ component: 'push' }),
    onIntervalChange: (intervalMs) => gpu.setIntervalMs(intervalMs),
  })
  const controller = new AbortController()
  let shutdown: Promise<number> | undefined
  const onSignal = (signalName: NodeJS.Signals) => {
    if (shutdown !== undefined) return
    log.info({ signal: signalName }, 'stopping: deregistering from coordinators')
    controller.abort()
    // Exit within the grace period even if a coordinator or nvidia-smi hangs.
    setTimeout(() => {
      log.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'shutdown took too long: exiting')
      gpu.close()
      process.exit(EXIT_OK)
    }, SHUTDOWN_GRACE_MS).unref()
    shutdown = loop.deregisterAll(DEREGISTER_TIMEOUT_MS).then(() => EXIT_OK)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  log.info(
    {
      coordinators: coordinatorUrls,
      runtimeUrl: config.RUNTIME_URL,
      pushIntervalMs: config.PUSH_INTERVAL_MS,
    },
    'agent starting',
  )
  await gpu.refreshInventory()
  log.info({ computeScore: sampler.computeScore(), gpuState: gpu.state.kind }, 'compute score')
  try {
    const end = await loop.run(controller.signal)
    if (end.kind === 'unauthorized') return EXIT_CONFIG_UNAUTHORIZED
    return await (shutdown ?? Promise.resolve(EXIT_OK))
  } finally {
    gpu.close()
  }
}

async function main(): Promise<void> {
  const decision = parseCommandLine({ env: process.env, argv: process.argv.slice(2) })
  if (decision.kind === 'exit') {
    process.exitCode = decision.code
    return
  }
  const { command, config } = decision.loaded
  const code = command === 'sample' ? await sampleOnce(config) : await runAgent(config)
  process.exit(code)
}

main().catch((error: unknown) => {
  console.error('llm-fleet-agent: fatal error', error)
  process.exit(EXIT_FAILURE)
})
