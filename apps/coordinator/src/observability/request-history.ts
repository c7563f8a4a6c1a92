/**
 * RequestHistory: what the dashboard shows of recent traffic. The last routing decisions in a ring
 * buffer, and requests per second with a p95 latency per time bucket over the last minutes. O(1) per
 * request and fixed memory: each bucket keeps a log-scale latency histogram, not the samples.
 */
import type { ProxiedRecord, ProxyObserver, RejectedRecord } from '../proxy/proxy-observer.js'

/** One routing decision as the dashboard lists it. */
export interface RoutingDecision {
  /** When the request ended, milliseconds since the epoch. */
  readonly atMs: number
  readonly route: string
  /** As the client sent it, cut to `MAX_MODEL_LENGTH`. */
  readonly model: string
  /** The node's name; null when no node could take the request. */
  readonly node: string | null
  /** The balancer's reason in words, or why nothing was selected. */
  readonly reason: string
  readonly status: number
  readonly totalMs: number
  readonly ttfbMs: number | null
  readonly retries: number
}

/** One point of the traffic chart. */
export interface TrafficPoint {
  /** Start of the bucket, milliseconds since the epoch. */
  readonly startMs: number
  readonly requestsPerSecond: number
  /** 95th percentile of request duration (upper edge of its histogram bin); null without requests. */
  readonly p95Ms: number | null
}

export interface RequestHistoryOptions {
  /** Milliseconds since the epoch (the app's clock). */
  readonly now: () => number
  /** Decisions kept (default 50). */
  readonly decisions?: number
  /** Width of a chart bucket (default 5 s). */
  readonly bucketMs?: number
  /** Span of the chart (default 10 minutes). */
  readonly windowMs?: number
}

/** Longest model name kept: the client chooses it, and every dashboard snapshot carries it. */
export const MAX_MODEL_LENGTH = 200

/** Why nothing was selected, in the dashboard's words. */
const REJECTION_TEXT: Readonly<Record<RejectedRecord['cause'], string>> = {
  'none-online': 'no node online for this API',
  'model-not-served': 'no node serves this model',
  'all-cooling-down': 'every node serving it is cooling down',
  'queue-full': 'every node busy and the queue full',
  'queue-timeout': 'every node stayed busy while it waited',
  'shutting-down': 'the coordinator is shutting down',
  'client-closed': 'the client left while it waited',
}

/** Latency bins grow by 25 %: a p95 read from them is at most 25 % high. */
const BIN_GROWTH = 1.25
const FIRST_BIN_UPPER_MS = 1
/** 1 ms × 1.25^62 ≈ 1 000 s: beyond the longest upstream timeout. */
const BIN_COUNT = 63
const LOG_GROWTH = Math.log(BIN_GROWTH)

interface Bucket {
  /** `floor(time / bucketMs)`; -1 while unused. */
  index: number
  count: number
  readonly bins: Uint32Array
}

export class RequestHistory implements ProxyObserver {
  readonly #now: () => number
  readonly #bucketMs: number
  readonly #decisions: (RoutingDecision | undefined)[]
  #nextDecision = 0
  readonly #buckets: Bucket[]

  constructor(options: RequestHistoryOptions) {
    this.#now = options.now
    this.#bucketMs = options.bucketMs ?? 5_000
    this.#decisions = new Array(options.decisions ?? 50).fill(undefined)
    const bucketCount = Math.ceil((options.windowMs ?? 600_000) / this.#bucketMs)
    this.#buckets = Array.from({ length: bucketCount }, () => ({
      index: -1,
      count: 0,
      bins: new Uint32Array(BIN_COUNT),
    }))
  }

  onAttempt(): void {}

  onProxied(record: ProxiedRecord): void {
    const atMs = this.#now()
    this.#store({
      atMs,
      route: record.route,
      model: cut(record.model),
      node: record.node.name,
      reason: record.reasonText,
      status: record.status,
      totalMs: record.totalMs,
      ttfbMs: record.ttfbMs,
      retries: record.retries,
    })
    this.#count(atMs, record.totalMs)
  }

  onRejected(record: RejectedRecord): void {
    const atMs = this.#now()
    this.#store({
      atMs,
      route: record.route,
      model: cut(record.model),
      node: null,
      reason: REJECTION_TEXT[record.cause],
      status: record.status,
      totalMs: 0,
      ttfbMs: null,
      retries: 0,
    })
    this.#count(atMs, 0)
  }

  /** The kept decisions, newest first. */
  recentDecisions(): RoutingDecision[] {
    const decisions: RoutingDecision[] = []
    const size = this.#decisions.length
    for (let offset = 1; offset <= size; offset++) {
      const decision = this.#decisions[(this.#nextDecision - offset + size) % size]
      if (decision === undefined) break
      decisions.push(decision)
    }
    return decisions
  }

  /** One point per bucket over the window, oldest first; the current bucket's rate counts its elapsed part. */
  traffic(): TrafficPoint[] {
    const now = this.#now()
    const current = Math.floor(now / this.#bucketMs)
    const points: TrafficPoint[] = []
    for (let index = current - this.#buckets.length + 1; index <= current; index++) {
      const bucket = this.#buckets[index % this.#buckets.length]
      const startMs = index * this.#bucketMs
      if (bucket === undefined || bucket.index !== index) {
        points.push({ startMs, requestsPerSecond: 0, p95Ms: null })
        continue
      }
      // At least one second, so the first request of a fresh bucket does not read as a spike.
      const spanMs = index === current ? Math.max(1_000, now - startMs) : this.#bucketMs
      points.push({
        startMs,
        requestsPerSecond: (bucket.count * 1000) / spanMs,
        p95Ms: percentile(bucket, 0.95),
      })
    }
    return points
  }

  #store(decision: RoutingDecision): void {
    this.#decisions[this.#nextDecision] = decision
    this.#nextDecision = (this.#nextDecision + 1) % this.#decisions.length
  }

  #count(atMs: number, totalMs: number): void {
    const index = Math.floor(atMs / this.#bucketMs)
    const bucket = this.#buckets[index % this.#buckets.length]
    if (bucket === undefined) return
    if (bucket.index !== index) {
      bucket.index = index
      bucket.count = 0
      bucket.bins.fill(0)
    }
    bucket.count++
    const bin = binOf(totalMs)
    bucket.bins[bin] = (bucket.bins[bin] ?? 0) + 1
  }
}

function binOf(ms: number): number {
  if (ms <= FIRST_BIN_UPPER_MS) return 0
  return Math.min(BIN_COUNT - 1, Math.ceil(Math.log(ms / FIRST_BIN_UPPER_MS) / LOG_GROWTH))
}

function percentile(bucket: Bucket, quantile: number): number | null {
  if (bucket.count === 0) return null
  const rank = Math.ceil(bucket.count * quantile)
  let seen = 0
  for (let bin = 0; bin < BIN_COUNT; bin++) {
    seen += bucket.bins[bin] ?? 0
    if (seen >= rank) return FIRST_BIN_UPPER_MS * BIN_GROWTH ** bin
  }
  return null
}

function cut(text: string): string {
  return text.length <= MAX_MODEL_LENGTH ? text : `${text.slice(0, MAX_MODEL_LENGTH)}…`
}
