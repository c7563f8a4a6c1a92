/**
 * The agent's main loop: sample once per tick, then register with / push to every coordinator, each
 * with its own state and backoff. Self-scheduling (`await tick(); await sleep()`), never setInterval:
 * a slow nvidia-smi or coordinator delays the next tick instead of overlapping it.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { backoffDelayMs } from './backoff.js'
import type { CoordinatorApi } from './coordinator-client.js'
import type { Logger } from './log.js'

/** One tick's view of the host: what to register and what to push (without the per-coordinator id). */
export interface AgentSample {
  registration: AgentRegistration
  metrics: Omit<AgentMetrics, 'agentId'>
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>

export interface PushLoopOptions {
  coordinators: readonly CoordinatorApi[]
  takeSample: () => Promise<AgentSample>
  /** `PUSH_INTERVAL_MS`, used until a coordinator answers with its own. */
  intervalMs: number
  /** `BACKOFF_MAX_MS`: longest wait between two registration attempts (30 s by default). */
  backoffMaxMs?: number
  log: Logger
  sleep?: Sleep
  now?: () => number
  random?: () => number
  /** Told when the tick interval changes (the `-lms` child follows it). */
  onIntervalChange?: (intervalMs: number) => void
}

/** Why `run` returned. */
export type PushLoopEnd =
  | { kind: 'stopped' }
  /** A coordinator answered 401/403: the token is wrong; retrying cannot help (exit 78). */
  | { kind: 'unauthorized'; coordinatorUrl: string }

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export const defaultSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal })
  } catch (error) {
    if (!signal.aborted) throw error
  }
}

/** One coordinator's state, kept apart so a dead coordinator never holds back a live one. */
interface Session {
  api: CoordinatorApi
  agentId: string | undefined
  /** JSON of what was last registered: a change (new GPUs after a driver fix, new models) re-registers. */
  registeredJson: string | undefined
  intervalMs: number
  nextAttemptAtMs: number
  failures: number
  /** Last logged condition, so a coordinator that stays down logs once, not every tick. */
  condition: 'ok' | 'unreachable' | 'rejected' | 'unknown'
  /**
   * Since the last failed attempt the coordinator was seen down: the attempt got no answer, or a
   * `/healthz` probe failed since. Only then does a `/healthz` that answers cut the backoff short: a
   * coordinator that answered the attempt with 5xx is up and refusing (a full registry, a shutdown),
   * and its `/healthz` says nothing new. (A front such as HAProxy answers 503 for a coordinator that
   * is down, to `/healthz` too: the failed probe marks it down, so its return is found at once.)
   */
  hasBeenDown: boolean
  /** Settles when the attempt an earlier tick started here ends; null when none is under way. */
  attemptUnderWay: Promise<void> | null
}

export class PushLoop {
  readonly #options: PushLoopOptions
  readonly #sessions: Session[]
  readonly #sleep: Sleep
  readonly #now: () => number
  readonly #random: () => number
  #tickMs: number
  /** Why `run` must return, found by an attempt that ended after its tick (401 from a slow coordinator). */
  #end: PushLoopEnd | undefined

  constructor(options: PushLoopOptions) {
    this.#options = options
    this.#sleep = options.sleep ?? defaultSleep
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? Math.random
    this.#tickMs = options.intervalMs
    this.#sessions = options.coordinators.map((api) => ({
      api,
      agentId: undefined,
      registeredJson: undefined,
      intervalMs: options.intervalMs,
      nextAttemptAtMs: 0,
      failures: 0,
      condition: 'unknown',
      hasBeenDown: false,
      attemptUnderWay: null,
    }))
  }

  /** The current tick interval. */
  get intervalMs(): number {
    return this.#tickMs
  }

  /** Runs until `signal` aborts or a coordinator rejects the token. Never throws for I/O failures. */
  async run(signal: AbortSignal): Promise<PushLoopEnd> {
    this.#end = undefined
    while (!signal.aborted) {
      // A 401 that an attempt found after its tick ended.
      if (this.#end !== undefined) return this.#end
      const startedAtMs = this.#now()
      let sample: AgentSample
      try {
        sample = await this.#options.takeSample()
      } catch (error) {
        // Sampling is built not to throw; if it does, skip this tick rather than die.
        this.#options.log.error({ err: error }, 'sampling failed')
        await this.#sleep(this.#tickMs, signal)
        continue
      }
      if (signal.aborted) break
      const end = await this.#serveAll(sample, signal, startedAtMs)
      if (end !== undefined) return end
      this.#adoptInterval()
      const elapsedMs = this.#now() - startedAtMs
      await this.#sleep(Math.max(0, this.#tickMs - elapsedMs), signal)
    }
    return { kind: 'stopped' }
  }

  /**
   * Tells every coordinator this agent is leaving (the node drains). Bounded by `timeoutMs` in total;
   * outcomes are logged, never thrown.
   */
  async deregisterAll(timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs)
    await Promise.all(
      this.#sessions.map(async (session) => {
        const agentId = session.agentId
        if (agentId === undefined) return
        const outcome = await session.api.deregister(agentId, signal)
        this.#options.log.info(
          { coordinator: session.api.url, agentId, outcome: outcome.kind },
          'deregistered',
        )
        session.agentId = undefined
      }),
    )
  }

  /**
   * Serves every coordinator side by side, for at most one tick: a blackholed address, or a
   * coordinator slower than the interval, would otherwise hold the next tick and so the pushes to the
   * others for up to the whole request timeout, which can be longer than the interval a coordinator
   * asks for. An attempt still under way at the tick's end is not cut short (a coordinator that is back
   * but slow still registers): it goes on, and later ticks skip that coordinator until it ends.
   */
  async #serveAll(sample: AgentSample, signal: AbortSignal, startedAtMs: number) {
    let timer: NodeJS.Timeout | undefined
    // A real-time bound, as the client's own timeout is (not the injected sleep), on what is left of
    // the tick after sampling.
    const leftMs = Math.max(0, this.#tickMs - (this.#now() - startedAtMs))
    const tickEnd = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, leftMs)
    })
    const waits: Promise<void>[] = []
    for (const session of this.#sessions) {
      if (session.attemptUnderWay !== null) continue
      const served = this.#serve(session, sample, signal, startedAtMs).then(
        (end) => {
          this.#end ??= end
        },
        // Not an I/O failure (those are outcomes): a bug. Log it and keep serving the others.
        (error: unknown) =>
          this.#options.log.error({ err: error, coordinator: session.api.url }, 'push failed'),
      )
      const settled = served.finally(() => {
        session.attemptUnderWay = null
      })
      session.attemptUnderWay = settled
      waits.push(settled)
    }
    try {
      await Promise.race([Promise.all(waits), tickEnd])
    } finally {
      clearTimeout(timer)
    }
    return this.#end
  }

  async #serve(
    session: Session,
    sample: AgentSample,
    signal: AbortSignal,
    tickStartedAtMs: number,
    isRetryAfterUnknown = false,
  ): Promise<PushLoopEnd | undefined> {
    const now = this.#now()
    if (now < session.nextAttemptAtMs) {
      // Backing off the registration and the push, but not the search: a cheap probe every tick finds a
      // coordinator that came back, however long it was down, so the agent returns within one tick.
      if (session.condition !== 'unreachable') return undefined
      if (!(await session.api.probe(signal))) {
        session.hasBeenDown = true
        return undefined
      }
      if (!session.hasBeenDown) return undefined
      session.nextAttemptAtMs = 0
    }
    const registrationJson = JSON.stringify(sample.registration)
    if (session.agentId === undefined || session.registeredJson !== registrationJson) {
      const outcome = await session.api.register(sample.registration, signal)
      if (outcome.kind === 'unauthorized') return this.#unauthorized(session)
      if (outcome.kind !== 'ok') return this.#failed(session, outcome)
      const isNew = session.agentId !== outcome.accepted.agentId
      session.agentId = outcome.accepted.agentId
      session.registeredJson = registrationJson
      session.intervalMs = outcome.accepted.pushIntervalMs
      if (isNew) {
        this.#options.log.info(
          { coordinator: session.api.url, agentId: session.agentId, pushIntervalMs: session.intervalMs },
          'registered',
        )
      }
    }
    const agentId = session.agentId
    const metrics: AgentMetrics = { ...sample.metrics, agentId }
    const outcome = await session.api.pushMetrics(agentId, metrics, signal)
    switch (outcome.kind) {
      case 'ok':
        this.#succeeded(session, tickStartedAtMs)
        return undefined
      case 'unknown-agent':
        // The coordinator restarted and forgot us: register again now, so this sample is not lost.
        this.#options.log.info(
          { coordinator: session.api.url, agentId },
          'coordinator does not know this agent: registering again',
        )
        session.agentId = undefined
        session.registeredJson = undefined
        session.nextAttemptAtMs = 0
        return isRetryAfterUnknown ? undefined : this.#serve(session, sample, signal, tickStartedAtMs, true)
      case 'unauthorized':
        return this.#unauthorized(session)
      default:
        return this.#failed(session, outcome)
    }
  }

  #succeeded(session: Session, tickStartedAtMs: number): void {
    if (session.condition !== 'ok' && session.condition !== 'unknown') {
      this.#options.log.info(
        { coordinator: session.api.url, failures: session.failures },
        'coordinator reachable again',
      )
    }
    session.condition = 'ok'
    session.failures = 0
    session.hasBeenDown = false
    // Counted from the tick's start, not from now: the next tick starts one interval after this one
    // did, and a push that took 30 ms must not make the next tick skip it.
    session.nextAttemptAtMs = tickStartedAtMs + session.intervalMs
  }

  #failed(
    session: Session,
    failure: { kind: 'unreachable' | 'rejected'; message: string; status?: number },
  ): undefined {
    const { kind, message } = failure
    session.failures += 1
    session.hasBeenDown = failure.status === undefined
    const waitMs = backoffDelayMs(session.failures, {
      random: this.#random,
      baseMs: session.intervalMs,
      ...(this.#options.backoffMaxMs === undefined ? {} : { capMs: this.#options.backoffMaxMs }),
    })
    session.nextAttemptAtMs = this.#now() + waitMs
    if (session.condition !== kind) {
      const fields = { coordinator: session.api.url, reason: message }
      if (kind === 'unreachable')
        this.#options.log.warn(fields, 'coordinator unreachable: retrying with backoff')
      else this.#options.log.error(fields, 'coordinator rejected the agent: retrying with backoff')
    }
    session.condition = kind
    return undefined
  }

  #unauthorized(session: Session): PushLoopEnd {
    this.#options.log.error(
      { coordinator: session.api.url },
      'coordinator answered 401: AGENT_TOKEN is wrong or missing',
    )
    return { kind: 'unauthorized', coordinatorUrl: session.api.url }
  }

  /** Tick as often as the most demanding coordinator asks; the others are served on their own schedule. */
  #adoptInterval(): void {
    const tickMs = Math.min(...this.#sessions.map((session) => session.intervalMs))
    if (Number.isFinite(tickMs) && tickMs !== this.#tickMs) {
      this.#tickMs = tickMs
      this.#options.onIntervalChange?.(tickMs)
    }
  }
}
