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

/** Where a node's requests go: its pool and the runtime URL's path, which prefixes every request path. */
export interface UpstreamTarget {
  readonly pool: Pool
  /** The runtime URL's path without its final `/` (usually empty). */
  readonly basePath: string
}

export class UpstreamPools {
  readonly #options: Pool.Options
  readonly #targets = new Map<string, UpstreamTarget>()
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
   * The target for a node, its pool created on first use. `resolveRuntimeUrl` is only called then: a
   * node's id stands for its hostname and runtime URL together, so the URL of an id never changes.
   * Undefined when the node is gone (the URL resolves to undefined).
   * @throws Error after `close`.
   */
  target(nodeId: string, resolveRuntimeUrl: () => string | undefined): UpstreamTarget | undefined {
    const existing = this.#targets.get(nodeId)
    if (existing !== undefined) return existing
    if (this.#isClosed) throw new Error('UpstreamPools is closed')
    const runtimeUrl = resolveRuntimeUrl()
    if (runtimeUrl === undefined) return undefined
    const url = new URL(runtimeUrl)
    const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
    const target: UpstreamTarget = { pool: new Pool(url.origin, this.#options), basePath }
    this.#targets.set(nodeId, target)
    return target
  }

  /** Number of nodes with a pool (for tests and metrics). */
  get size(): number {
    return this.#targets.size
  }

  /**
   * Closes a node's pool once its in-flight requests finish (undici's `close` is graceful). Called when
   * the registry removes a node, which happens after it drained.
   */
  async remove(nodeId: string): Promise<void> {
    const existing = this.#targets.get(nodeId)
    if (existing === undefined) return
    this.#targets.delete(nodeId)
    await existing.pool.close()
  }

  /** Closes every pool; in-flight requests finish first. Later `target` calls throw. */
  async close(): Promise<void> {
    this.#isClosed = true
    const targets = [...this.#targets.values()]
    this.#targets.clear()
    await Promise.all(targets.map(({ pool }) => pool.close()))
  }
}
