/**
 * NodeRegistryOptions: what a NodeRegistry is built with, each knob documented here (the coordinator
 * fills them from its config in main.ts; the tests pass their own clock and timers).
 */
import type { SharedLoad } from './shared-load.js'

/** The slice of a pino logger the registry uses (fastify's `log.child(...)` satisfies it). */
export interface RegistryLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface NodeRegistryOptions {
  /** Milliseconds since the epoch; injected so tests move time without sleeping. */
  readonly clock: () => number
  /** A node with no contact for longer than this is `stale` (`AGENT_TTL_MS`). */
  readonly ttlMs: number
  /** Most nodes held at once (`MAX_NODES`). */
  readonly maxNodes: number
  /** What agents are told to push at (`PUSH_INTERVAL_MS`). */
  readonly pushIntervalMs: number
  /** How long a node is skipped after `coolDownFailures` upstream failures in a row (`COOL_DOWN_MS`). */
  readonly coolDownMs: number
  /** Consecutive upstream failures that start a cool-down. Default 3. */
  readonly coolDownFailures?: number
  readonly log: RegistryLog
  /** New agent ids; default 12 random url-safe characters. */
  readonly generateId?: () => string
  /**
   * Load shared with other coordinators (`SHARED_STATE_URL`): views then count their in-flight requests
   * too, and their cool-downs. Without it the registry counts alone, exactly as a single coordinator.
   */
  readonly sharedLoad?: SharedLoad
  /**
   * A node stale this long with nothing in flight is removed by `sweep()` (the coordinator passes
   * `STALE_NODE_FORGET_TTLS` × TTL): its pool, metric series and cursors go with it. Default: never
   * (only when the registry is full).
   */
  readonly forgetStaleAfterMs?: number
  /** Runs `fn` after `ms` (cool-down ends); default an unref'd `setTimeout`. */
  readonly setTimer?: (fn: () => void, ms: number) => void
}

/** `coolDownFailures` when the options leave it out. */
export const DEFAULT_COOL_DOWN_FAILURES = 3
