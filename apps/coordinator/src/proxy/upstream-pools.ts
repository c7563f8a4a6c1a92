/**
 * One undici `Pool` per node: keep-alive connections to its runtime, created on the first request and
 * closed when the node leaves the registry or the app closes.
 */
import { Pool } from 'undici'

/**
 * Connections to one runtime at most. A streaming generation holds a connection for its whole length,
 * so this bounds the requests one node can have in flight; beyond it undici queues them. The balancer
 * spills over long before that (a node's `maxConcurrency` is far lower), so it only matters when every
 * node is busy and requests pile up round-robin.
 */
export const UPSTREAM_CONNECTIONS_PER_NODE = 256

/**
 * How long to wait for a TCP (or TLS) connection to a runtime. Agents advertise LAN addresses: a
 * runtime that takes longer than this to accept is as good as unreachable, and the request fails over.
 */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 5_000

export interface UpstreamPoolsOptions {
  /** undici's `headersTimeout`: the longest wait for a response's headers (a model may be loading). */
  readonly headersTimeoutMs: number
  /** undici's `bodyTimeout`: the longest idle gap between two chunks of a response body. */
  readonly bodyTimeoutMs: number
  /** Defaults to `UPSTREAM_CONNECTIONS_PER_NODE`. */
  readonly connectionsPerNode?: number
}

interface NodePool {
  readonly origin: string
  readonly pool: Pool
}

export class UpstreamPools {
  readonly #options: Pool.Options
  readonly #pools = new Map<string, NodePool>()
  /** Closes of pools replaced by `get`, still finishing their requests; `close` awaits them. */
  readonly #retiring = new Set<Promise<void>>()
  #isClosed = false

  constructor(options: UpstreamPoolsOptions) {
    this.#options = {
      connections: options.connectionsPerNode ?? UPSTREAM_CONNECTIONS_PER_NODE,
      // One request per connection at a time: a slow generation must not hold up the next request.
      pipelining: 1,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      connectTimeout: UPSTREAM_CONNECT_TIMEOUT_MS,
    }
  }

  /**
   * The pool for a node's runtime, created on first use. `origin` is the runtime URL's origin; should a
   * node come back with another one, its old pool is closed and a new one made.
   */
  get(nodeId: string, origin: string): Pool {
    const existing = this.#pools.get(nodeId)
    if (existing !== undefined && existing.origin === origin) return existing.pool
    if (this.#isClosed) throw new Error('UpstreamPools is closed')
    if (existing !== undefined) this.#retire(existing.pool)
    const pool = new Pool(origin, this.#options)
    this.#pools.set(nodeId, { origin, pool })
    return pool
  }

  /** Number of nodes with a pool (for tests and metrics). */
  get size(): number {
    return this.#pools.size
  }

  /**
   * Closes a node's pool once its in-flight requests finish (undici's `close` is graceful). Called when
   * the registry removes a node, which happens after it drained.
   */
  async remove(nodeId: string): Promise<void> {
    const existing = this.#pools.get(nodeId)
    if (existing === undefined) return
    this.#pools.delete(nodeId)
    await existing.pool.close()
  }

  /** Closes every pool; in-flight requests finish first. Later `get` calls throw. */
  async close(): Promise<void> {
    this.#isClosed = true
    const pools = [...this.#pools.values()]
    this.#pools.clear()
    await Promise.all([...pools.map(({ pool }) => pool.close()), ...this.#retiring])
  }

  #retire(pool: Pool): void {
    // A replaced pool still serves the requests already sent through it; `close` waits for them.
    const closing = pool.close().finally(() => this.#retiring.delete(closing))
    this.#retiring.add(closing)
  }
}
