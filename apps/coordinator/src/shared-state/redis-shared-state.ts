/**
 * RedisSharedState: shares this coordinator's per-node load with its peers through Redis or Valkey
 * (`SHARED_STATE_URL`), with ioredis.
 *
 * Pub/sub, not keyspace notifications: a message carries the values themselves, so a peer applies it
 * without a read (a keyspace event names only the key, and each would cost a GET round trip), and it
 * needs no server setting (`notify-keyspace-events` is off by default and locked on several managed
 * services). Pub/sub does not keep messages, so each coordinator also stores its full state under its
 * own key with a short TTL, refreshed by the heartbeat: a coordinator that (re)connects reads those
 * keys first, and a crashed one's key expires by itself. Peers drop a coordinator they have not heard
 * from for three heartbeats, so its counts go within a few seconds.
 *
 * Nothing waits on the store: local changes are published once per event-loop turn (coalesced), and
 * the registry reads the `SharedLoadView`. While the store is unreachable the view splits every node's
 * capacity among the coordinators last seen; that is logged once per change and shown in `/readyz` and
 * the metrics.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { Gauge, type Registry } from 'prom-client'
import { parseLoadMessage } from './load-message.js'
import { SharedLoadView } from './shared-load-view.js'

/** The slice of a pino logger this uses. */
export interface SharedStateLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface RedisSharedStateOptions {
  /** `SHARED_STATE_URL` (may hold a password: never logged). */
  readonly url: string
  /** `SHARED_STATE_HEARTBEAT_MS` */
  readonly heartbeatMs: number
  /** The registry's clock. */
  readonly clock: () => number
  readonly log: SharedStateLog
  /** Where `llm_fleet_shared_state_*` gauges go. */
  readonly metricsRegistry?: Registry
  /** Key and channel prefix; one store can serve several fleets with different prefixes. */
  readonly prefix?: string
}

/** What `/readyz` shows about the store. */
export type SharedStateStatus = 'connecting' | 'connected' | 'unreachable'

/** Heartbeats a peer may miss before its counts are dropped. */
export const PEER_TTL_HEARTBEATS = 3
const RECONNECT_MAX_MS = 2000

export class RedisSharedState {
  readonly id = randomBytes(6).toString('base64url')
  readonly view: SharedLoadView
  readonly #options: RedisSharedStateOptions
  readonly #prefix: string
  readonly #commands: Redis
  readonly #subscriber: Redis
  #status: SharedStateStatus = 'connecting'
  #onlineKeys: () => Iterable<string> = () => []
  #heartbeat: NodeJS.Timeout | undefined
  #isFlushScheduled = false
  /** Until the first attempts are over, one connection ready and the other not yet is no outage. */
  #isStarted = false
  #isClosed = false
  #hasReportedUnreadable = false

  constructor(options: RedisSharedStateOptions) {
    this.#options = options
    this.#prefix = options.prefix ?? 'llm-fleet'
    this.view = new SharedLoadView({
      selfId: this.id,
      peerTtlMs: PEER_TTL_HEARTBEATS * options.heartbeatMs,
      onDirty: () => this.#scheduleFlush(),
    })
    const redisOptions = {
      lazyConnect: true,
      // Fail at once while disconnected instead of queueing: nothing here may wait on the store.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, RECONNECT_MAX_MS),
    }
    this.#commands = new Redis(options.url, redisOptions)
    // A subscribed connection can run nothing else: a second one.
    this.#subscriber = new Redis(options.url, redisOptions)
    if (options.metricsRegistry !== undefined) this.#registerMetrics(options.metricsRegistry)
  }

  get status(): SharedStateStatus {
    return this.#status
  }

  get #channel(): string {
    return `${this.#prefix}:load`
  }

  get #ownKey(): string {
    return `${this.#prefix}:coordinator:${this.id}`
  }

  /**
   * Connects and starts the heartbeat. Resolves once the first attempt is over, connected or not: a
   * coordinator starts (with the 1/N share) even when the store is down.
   */
  async start(onlineKeys: () => Iterable<string>): Promise<void> {
    this.#onlineKeys = onlineKeys
    for (const connection of [this.#commands, this.#subscriber]) {
      connection.on('ready', () => this.#connectionChanged())
      connection.on('close', () => this.#connectionChanged())
      // ioredis reports every failed reconnect here; the state change is logged once instead.
      connection.on('error', () => this.#connectionChanged())
    }
    // Subscribed on every (re)connection: a subscription never confirmed is not restored by ioredis.
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#channel).catch((error: unknown) => {
        this.#options.log.warn({ err: error }, 'shared state: subscribe failed, retrying on reconnect')
      })
    })
    this.#subscriber.on('message', (_channel: string, text: string) => {
      const message = parseLoadMessage(text)
      if (message !== undefined) this.view.apply(message, this.#options.clock())
      else this.#unreadable()
    })
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs)
    const attempts = [this.#commands.connect(), this.#subscriber.connect()].map((attempt) =>
      attempt.catch((error: unknown) => {
        // The retry strategy keeps trying; the coordinator runs on its 1/N share meanwhile.
        this.#options.log.warn({ err: error }, 'shared state: first connection failed, retrying')
      }),
    )
    await Promise.all(attempts)
    this.#isStarted = true
    this.#connectionChanged()
  }

  /** Tells the peers this coordinator is leaving (they drop its counts at once) and disconnects. */
  async close(): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    clearInterval(this.#heartbeat)
    if (this.#status === 'connected') {
      const bye = JSON.stringify({ from: this.id, seq: Number.MAX_SAFE_INTEGER, kind: 'bye', nodes: [] })
      await Promise.allSettled([this.#commands.publish(this.#channel, bye), this.#commands.del(this.#ownKey)])
    }
    this.#commands.disconnect()
    this.#subscriber.disconnect()
  }

  #connectionChanged(): void {
    if (this.#isClosed || !this.#isStarted) return
    const isUp = this.#commands.status === 'ready' && this.#subscriber.status === 'ready'
    const next: SharedStateStatus = isUp ? 'connected' : 'unreachable'
    if (next === this.#status) return
    const previous = this.#status
    this.#status = next
    if (isUp) {
      this.view.storeRegained()
      this.#options.log.info(
        { coordinatorId: this.id },
        'shared state connected: in-flight counts are shared',
      )
      this.#beat()
      void this.#readPeers()
    } else {
      const divisor = this.view.storeLost()
      const fields = { coordinatorId: this.id, coordinators: divisor, capacityShare: `1/${divisor}` }
      if (previous === 'connected')
        this.#options.log.warn(fields, "shared state unreachable: taking a 1/N share of each node's capacity")
      else
        this.#options.log.warn(
          fields,
          "shared state unreachable at start: taking a 1/N share of each node's capacity",
        )
    }
  }

  /** Seeds the view from the peers' stored states (pub/sub kept nothing while this one was away). */
  async #readPeers(): Promise<void> {
    try {
      const keys: string[] = []
      let cursor = '0'
      do {
        const [next, batch] = await this.#commands.scan(
          cursor,
          'MATCH',
          `${this.#prefix}:coordinator:*`,
          'COUNT',
          100,
        )
        cursor = next
        keys.push(...batch)
      } while (cursor !== '0')
      if (keys.length === 0) return
      const texts = await this.#commands.mget(...keys)
      const now = this.#options.clock()
      for (const text of texts) {
        if (text === null) continue
        const message = parseLoadMessage(text)
        if (message !== undefined) this.view.apply(message, now)
        else this.#unreadable()
      }
    } catch (error) {
      this.#options.log.warn(
        { err: error },
        'shared state: reading the peers failed; their next heartbeat fills in',
      )
    }
  }

  /**
   * A message this version cannot read: most likely a coordinator of another version on the same store,
   * whose counts this one then does not see. Said once.
   */
  #unreadable(): void {
    if (this.#hasReportedUnreadable) return
    this.#hasReportedUnreadable = true
    this.#options.log.warn(
      {},
      'shared state: ignoring a message this version cannot read (a coordinator of another version on the store?); upgrade the coordinators together',
    )
  }

  #beat(): void {
    const now = this.#options.clock()
    this.view.expire(now)
    if (this.#status !== 'connected') return
    const text = JSON.stringify(this.view.fullState(now, this.#onlineKeys()))
    const ttlMs = PEER_TTL_HEARTBEATS * this.#options.heartbeatMs
    this.#commands.set(this.#ownKey, text, 'PX', ttlMs).catch(() => this.#connectionChanged())
    this.#commands.publish(this.#channel, text).catch(() => this.#connectionChanged())
  }

  #scheduleFlush(): void {
    if (this.#isFlushScheduled) return
    this.#isFlushScheduled = true
    // After the current turn: the requests handled in it go out as one message.
    setImmediate(() => {
      this.#isFlushScheduled = false
      const delta = this.view.takeDelta(this.#options.clock())
      if (delta === undefined || this.#status !== 'connected') return
      this.#commands.publish(this.#channel, JSON.stringify(delta)).catch(() => this.#connectionChanged())
    })
  }

  #registerMetrics(registry: Registry): void {
    const view = this.view
    const state = () => this
    new Gauge({
      name: 'llm_fleet_shared_state_up',
      help: 'Whether the shared store (SHARED_STATE_URL) is reachable: 1, or 0 while each coordinator takes a 1/N share',
      registers: [registry],
      collect() {
        this.set(state().status === 'connected' ? 1 : 0)
      },
    })
    new Gauge({
      name: 'llm_fleet_shared_state_coordinators',
      help: 'Coordinators sharing the fleet as this one sees them (itself included)',
      registers: [registry],
      collect() {
        this.set(view.isDegraded ? view.capacityDivisor : view.coordinatorCount)
      },
    })
    new Gauge({
      name: 'llm_fleet_shared_state_capacity_share',
      help: "Share of each node's max concurrency this coordinator uses: 1 when counts are shared, 1/N while the store is unreachable",
      registers: [registry],
      collect() {
        this.set(1 / view.capacityDivisor)
      },
    })
  }
}
