/**
 * buildApp: the coordinator's fastify instance, every plugin and route registered in one visible
 * order, with services passed in as options (explicit DI). It never listens: `main.ts` does, and tests
 * use `inject` or listen on port 0.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import fastifySwagger from '@fastify/swagger'
import { MAX_AGENT_ID_LENGTH } from '@llm-fleet/types'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'
import { Registry } from 'prom-client'
import type { Config } from './config.js'
import { forgetTierCursors } from './core/balancer/spec-first.js'
import type { BalancerState } from './core/balancer/strategy.js'
import { ProxyLoopError } from './errors.js'
import { TrafficLearner } from './learning/traffic-learner.js'
import { FleetMetrics } from './observability/fleet-metrics.js'
import { RequestHistory } from './observability/request-history.js'
import { cors } from './plugins/cors.js'
import { errorShape } from './plugins/error-shape.js'
import { REQUEST_ID_HEADER, requestId } from './plugins/request-id.js'
import { zodValidation } from './plugins/zod-validation.js'
import { createForwardWaitQueue, type ForwardWaitQueue, RequestForwarder } from './proxy/forward-request.js'
import { hasPassedThrough } from './proxy/hop-by-hop-headers.js'
import { combineProxyObservers } from './proxy/proxy-observer.js'
import { UpstreamPools } from './proxy/upstream-pools.js'
import type { NodeRegistry } from './registry/node-registry.js'
import { ReadinessGate } from './registry/readiness-gate.js'
import { agentApi } from './routes/agent-api.js'
import { anthropicApi } from './routes/anthropic-api.js'
import { dashboard } from './routes/dashboard.js'
import { health, type SharedStateReport } from './routes/health.js'
import { metricsRoute } from './routes/metrics.js'
import { notFound, sendInApiShape } from './routes/not-found.js'
import { ollamaApi } from './routes/ollama-api.js'
import { ollamaRoot } from './routes/ollama-root.js'
import { openAiApi } from './routes/openai-api.js'
import { routeExplain } from './routes/route-explain.js'

/** The services the app uses; `main.ts` builds them, tests build their own. */
export interface AppDeps {
  readonly registry: NodeRegistry
  /** Round-robin cursors and the mode; shared by every inference request. */
  readonly balancerState: BalancerState
  /** Milliseconds since the epoch (the registry's clock): the `now` of balancing decisions. */
  readonly clock: () => number
  /** The process logger (pino, from `main.ts`); without it the app logs nothing. */
  readonly logger?: FastifyBaseLogger
  /**
   * Where the coordinator's metrics go (`GET /metrics`); `main.ts` passes one with the process metrics
   * added. Without it the app makes its own, so that apps in one process never share series.
   */
  readonly metricsRegistry?: Registry
  /**
   * What `/readyz` answers; `main.ts` passes one so that SIGTERM can turn it unready. Without it the app
   * makes its own (no peers: it waits for registrations to settle).
   */
  readonly readiness?: ReadinessGate
  /** The shared store's state for `/readyz` (with `SHARED_STATE_URL`). */
  readonly sharedState?: () => SharedStateReport
  /** The wait queue when `QUEUE_WHEN_BUSY` is on; built from the config when absent (tests watch theirs). */
  readonly waitQueue?: ForwardWaitQueue
  /** This coordinator's name in the `Via` header it adds upstream; a random `llm-fleet-…` by default. */
  readonly via?: string
}

/** Quiet push intervals after which a registry counts as settled (every agent pushes once per interval). */
export const SETTLE_PUSH_INTERVALS = 2

export async function buildApp(deps: AppDeps, config: Config): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined ? { logger: false } : { loggerInstance: deps.logger }),
    // Per-request lines come from the routes that matter (one line per proxied request); fastify's
    // own two lines per request would double them and log every agent push.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: REQUEST_ID_HEADER,
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Beyond every id the schemas allow, so that a long one fails its schema, which names the field.
    routerOptions: { maxParamLength: 4 * MAX_AGENT_ID_LENGTH },
    // A URL fastify cannot decode (`/v1/%zz`): answered in the API's own shape, as a 404 is.
    frameworkErrors: (error, request, reply) =>
      sendInApiShape(request, reply, {
        statusCode: error.statusCode ?? 400,
        code: error.code,
        message: error.message,
      }),
  })

  // 1. Cross-cutting plugins (fastify-plugin: they apply to every route).
  await app.register(zodValidation)
  await app.register(errorShape)
  // Before every API key check (each API registers its own): a preflight carries no credentials.
  await app.register(cors, { extraOrigins: config.allowedOrigins })
  await app.register(requestId)
  await app.register(notFound)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llm-fleet coordinator',
        description: 'Agent API and health endpoints; schemas from @llm-fleet/types.',
        version: '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
  })

  // Observability: Prometheus metrics and the dashboard's recent traffic, both fed by the proxy.
  const metricsRegistry = deps.metricsRegistry ?? new Registry()
  const metrics = new FleetMetrics({ registry: metricsRegistry, nodes: deps.registry })
  const history = new RequestHistory({ now: deps.clock })

  // 2. Routes, each with exactly the services it needs.
  const readiness =
    deps.readiness ??
    new ReadinessGate({
      registry: deps.registry,
      clock: deps.clock,
      settleMs: SETTLE_PUSH_INTERVALS * config.pushIntervalMs,
      timeoutMs: config.readyTimeoutMs,
    })
  await app.register(health, { readiness, sharedState: deps.sharedState })
  // Shutting down: every answer closes its connection, so that no kept-alive connection from a front is
  // left to meet the closing server's 503 (a front may not resend a POST); new connections are refused
  // once it stops accepting, which every front retries elsewhere.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (readiness.isShuttingDown) reply.header('connection', 'close')
    return payload
  })
  await app.register(agentApi, {
    prefix: '/api/agents',
    registry: deps.registry,
    agentToken: config.agentToken,
    pushIntervalMs: config.pushIntervalMs,
    pushObserver: metrics,
  })
  await app.register(metricsRoute, { registry: metricsRegistry })
  await app.register(dashboard, {
    nodes: deps.registry,
    history,
    now: deps.clock,
    apiKeys: config.apiKeys,
    isAgentTokenRequired: config.agentToken !== undefined,
  })

  // 3. Inference routes (the proxy): the app owns the upstream pools and closes them with itself.
  const pools = new UpstreamPools({
    headersTimeoutMs: config.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: config.upstreamBodyTimeoutMs,
  })
  const stopClosingRemovedPools = deps.registry.onNodeRemoved((node) => {
    forgetTierCursors(deps.balancerState, deps.registry.snapshot())
    // undici's close lets in-flight requests finish; a drained node has none left anyway.
    pools.remove(node.id).catch((error: unknown) => {
      app.log.warn({ err: error, nodeId: node.id }, 'closing the pool of a removed node failed')
    })
  })
  // The default balancer learns rates, residency and cached prefixes from the traffic and the pushes.
  const learner = new TrafficLearner({
    knowledge: deps.balancerState.knowledge,
    prefixIndex: deps.balancerState.prefixIndex,
    clock: deps.clock,
    inFlightOf: (nodeId) => deps.registry.inFlightOf(nodeId),
    pushLagMs: config.pushIntervalMs,
    // Other coordinators see this one's prompts not started through the shared store, as it sees theirs.
    shareAwaiting: (nodeId, tokens) => deps.registry.setAwaitingTokens(nodeId, tokens),
  })
  const stopLearningPushes = deps.registry.onMetrics((pushed) => learner.onMetrics(pushed))
  const stopForgettingNodes = deps.registry.onNodeRemoved((node) => learner.onNodeRemoved(node))
  const stopSizingModels = deps.registry.onRegistered((node) => learner.onRegistered(node))
  const waitQueue: ForwardWaitQueue | undefined = config.queueWhenBusy
    ? (deps.waitQueue ??
      createForwardWaitQueue({ maxWaiters: config.queueMax, timeoutMs: config.queueTimeoutMs }))
    : undefined
  // A request that comes back naming this coordinator in `Via` went through a node whose runtime URL
  // leads here: refused before anything else (an API key check would blame the client, since the key is
  // not passed upstream), instead of going round until every socket is taken.
  const via = deps.via ?? `llm-fleet-${randomBytes(4).toString('hex')}`
  // A callback hook, not an async one: every request passes here, and most carry no `Via` at all.
  app.addHook('onRequest', (request, reply, done) => {
    if (hasPassedThrough(request.headers.via, via)) sendInApiShape(request, reply, new ProxyLoopError(via))
    else done()
  })
  const forwarder = new RequestForwarder({
    registry: deps.registry,
    pools,
    balancerState: deps.balancerState,
    maxRetries: config.maxRetries,
    coolDownMs: config.coolDownMs,
    now: deps.clock,
    waitQueue,
    observer: combineProxyObservers([metrics, history, learner]),
    via,
  })
  // A node that registers or pushes, or a cool-down that ends, frees capacity no released lease announces.
  const stopWakingWaiters = deps.registry.onCapacity(() => forwarder.wakeWaiters())
  // Nodes stale for long leave with their pools, series and cursors (see NodeRegistry.sweep).
  const sweeper = setInterval(() => deps.registry.sweep(), Math.max(config.agentTtlMs, 1_000))
  sweeper.unref()
  // preClose, not onClose: waiting requests would otherwise hold the shutdown until they time out.
  if (waitQueue !== undefined) app.addHook('preClose', async () => waitQueue.close())
  // A slot freed on another coordinator may let a request waiting here go.
  const stopWatchingSharedLoad = deps.registry.onSharedLoadChange(() => forwarder.wakeWaiters())
  const inferenceApi = {
    forwarder,
    registry: deps.registry,
    apiKeys: config.apiKeys,
    bodyLimitBytes: config.inferenceBodyLimitBytes,
  }
  await app.register(openAiApi, inferenceApi)
  await app.register(anthropicApi, inferenceApi)
  await app.register(ollamaApi, inferenceApi)
  await app.register(ollamaRoot)
  await app.register(routeExplain, {
    registry: deps.registry,
    balancerState: deps.balancerState,
    now: deps.clock,
    apiKeys: config.apiKeys,
  })

  // 4. onClose hooks for what the app owns.
  app.addHook('onClose', async () => {
    stopClosingRemovedPools()
    stopWatchingSharedLoad()
    stopWakingWaiters()
    clearInterval(sweeper)
    stopLearningPushes()
    stopForgettingNodes()
    stopSizingModels()
    metrics.close()
    await pools.close()
  })

  return app
}
