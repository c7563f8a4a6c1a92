#!/usr/bin/env node
import { listenProblem } from '@llm-fleet/types'
/**
 * The coordinator process: config → logger → services → app → listen → signals. The only file that
 * knows it is a process (reads env/argv, handles signals, exits).
 */
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { Registry } from 'prom-client'
import { buildApp, SETTLE_PUSH_INTERVALS } from './app.js'
import { type Config, givenName, helpText, isHelpRequested, loadConfig } from './config.js'
import { createBalancerState } from './core/balancer/strategy.js'
import { ConfigInvalidError } from './errors.js'
import { BatchedLogDestination } from './log-destination.js'
import { registerProcessMetrics } from './observability/process-metrics.js'
import { NodeRegistry } from './registry/node-registry.js'
import { ReadinessGate } from './registry/readiness-gate.js'
import { STALE_NODE_FORGET_TTLS } from './registry/stale-nodes.js'

const EXIT_OK = 0
/** Bad settings or flags (the sysexits EX_USAGE tradition: 2 for command-line misuse). */
const EXIT_USAGE = 2
const EXIT_FAILURE = 1

/**
 * stderr carries only Node's warnings and console.error lines. When it cannot be written (its pipe's
 * reader went away: EPIPE; its terminal closed: EIO), the line is lost and the coordinator keeps
 * serving: Node's console absorbs only the first such error, and a second warning a tick later would
 * end the process. stdout is not a stream here: the log destination writes its descriptor and
 * handles EPIPE itself.
 */
function keepServingWithoutStderr(): void {
  process.stderr.on('error', () => {})
}

/**
 * The process logger: pino as fastify builds it from these options (pino is fastify's dependency,
 * not ours, so fastify constructs it; this instance never listens). NDJSON to stdout, written in
 * batches (one write per event-loop turn rather than one per line: see log-destination.ts) and
 * flushed when the process exits.
 */
function createLogger(config: Config): FastifyBaseLogger {
  const stdout = new BatchedLogDestination(1)
  process.on('exit', () => stdout.flushSync())
  return Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'], stream: stdout },
  }).log
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  if (isHelpRequested(argv)) {
    process.stdout.write(helpText())
    return EXIT_OK
  }

  let config: Config
  try {
    config = loadConfig({ env: process.env, argv })
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error
    console.error(`llm-fleet-coordinator: ${error.message}\n(run with --help for every setting)`)
    return EXIT_USAGE
  }

  keepServingWithoutStderr()
  const log = createLogger(config)
  // Monotonic, so TTLs and cool-downs survive wall-clock steps (NTP), yet still epoch milliseconds.
  const clock = () => performance.timeOrigin + performance.now()
  // The process's own metrics (CPU, memory, event loop lag, GC) beside the fleet's, on /metrics.
  const metricsRegistry = new Registry()
  registerProcessMetrics(metricsRegistry)
  const sharedState =
    config.sharedStateUrl === undefined
      ? undefined
      : // Loaded only when configured: a single coordinator does not pay for ioredis at start.
        new (await import('./shared-state/redis-shared-state.js')).RedisSharedState({
          url: config.sharedStateUrl,
          heartbeatMs: config.sharedStateHeartbeatMs,
          clock,
          log: log.child({ component: 'shared-state' }),
          metricsRegistry,
        })
  const registry = new NodeRegistry({
    clock,
    ttlMs: config.agentTtlMs,
    maxNodes: config.maxNodes,
    pushIntervalMs: config.pushIntervalMs,
    coolDownMs: config.coolDownMs,
    forgetStaleAfterMs: STALE_NODE_FORGET_TTLS * config.agentTtlMs,
    log: log.child({ component: 'registry' }),
    ...(sharedState === undefined ? {} : { sharedLoad: sharedState.view }),
  })
  const readiness = new ReadinessGate({
    registry,
    clock,
    settleMs: SETTLE_PUSH_INTERVALS * config.pushIntervalMs,
    timeoutMs: config.readyTimeoutMs,
    ...(sharedState === undefined ? {} : { peers: sharedState.view }),
  })
  await sharedState?.start(() => registry.onlineKeys())
  const balancerState = createBalancerState(Math.random, {
    mode: config.loadBalancerMode,
    busy: { cpuPct: config.busyCpuPct, gpuUtilPct: config.busyGpuPct },
    learning: {
      halfLifeMs: config.balancerHalfLifeMs,
      waitingWeight: config.balancerWaitingWeight,
      prefixMaxEntries: config.prefixIndexMaxEntries,
      prefixTtlMs: config.prefixCacheTtlMs,
    },
  })
  const app = await buildApp(
    {
      registry,
      balancerState,
      clock,
      logger: log,
      metricsRegistry,
      readiness,
      ...(sharedState === undefined
        ? {}
        : {
            sharedState: () => ({
              status: sharedState.status,
              coordinators: sharedState.view.isDegraded
                ? sharedState.view.capacityDivisor
                : sharedState.view.coordinatorCount,
              capacityShare: 1 / sharedState.view.capacityDivisor,
            }),
          }),
    },
    config,
  )
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    const problem = listenProblem(error, {
      host: givenName('host', argv),
      port: () => givenName('port', argv),
    })
    if (problem === undefined) throw error
    console.error(`llm-fleet-coordinator: ${problem.line}`)
    await sharedState?.close()
    return problem.isTransient ? EXIT_FAILURE : EXIT_USAGE
  }
  log.info(
    {
      balancerMode: config.loadBalancerMode,
      agentAuth: config.agentToken === undefined ? 'off' : 'bearer',
      apiKeys: config.apiKeys.length,
      pushIntervalMs: config.pushIntervalMs,
      agentTtlMs: config.agentTtlMs,
      sharedState: sharedState === undefined ? 'off' : sharedState.id,
    },
    `coordinator ready, balancer mode: ${config.loadBalancerMode}`,
  )
  if (config.agentToken === undefined && config.insecure) {
    log.warn({ host: config.host }, 'agent API open to the network (--insecure, no AGENT_TOKEN)')
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  log.info(
    { signal, graceMs: config.shutdownGraceMs, readyGraceMs: config.shutdownReadyGraceMs },
    'shutting down',
  )
  // A second signal means "now": skip the grace period.
  process.once(signal, () => process.exit(EXIT_FAILURE))
  // Unready first, still serving: a health-checking front stops sending here before we stop accepting.
  // Answers from now on also close their connections (app.ts). Idle ones are left alone: closing one
  // while a front sends a POST on it fails that request (the front cannot know it was not received).
  readiness.shutDown()
  if (config.shutdownReadyGraceMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, config.shutdownReadyGraceMs))
    log.info({ readyGraceMs: config.shutdownReadyGraceMs }, 'ready grace over: closing')
  }
  let graceTimer: NodeJS.Timeout | undefined
  const graceOver = new Promise<'timeout'>((resolve) => {
    graceTimer = setTimeout(() => resolve('timeout'), config.shutdownGraceMs)
  })
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), graceOver])
  clearTimeout(graceTimer)
  await sharedState?.close()
  if (outcome === 'timeout')
    log.warn({ graceMs: config.shutdownGraceMs }, 'grace period over: exiting with requests in flight')
  else log.info('closed')
  return EXIT_OK
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('llm-fleet-coordinator: failed to start', error)
    process.exit(EXIT_FAILURE)
  },
)
