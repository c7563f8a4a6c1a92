/**
 * WaitQueue: requests waiting for a free slot when every node is busy (`QUEUE_WHEN_BUSY`), bounded in
 * size (`QUEUE_MAX`) and in time (`QUEUE_TIMEOUT_MS`). The forwarder wakes a waiter each time a slot is
 * freed; a waiter whose client goes away leaves the queue at once.
 *
 * Order and head-of-line blocking: waiters are served first come, first served *among those the freed
 * slot can serve*. `wakeFirst` walks the queue from the oldest waiter and wakes the first one that can
 * use the capacity now; a waiter for a model the freed node does not serve is skipped, not woken, and
 * keeps its place. So a backlog for one model never blocks another model's requests behind it, while
 * requests that compete for the same nodes keep their arrival order.
 */

/** Why a wait ended without a slot. */
export type WaitFailure = 'full' | 'timeout' | 'aborted' | 'closed'

/** The end of one wait: the waker's value, or why there is none. */
export type WaitResult<Grant> =
  | { readonly kind: 'granted'; readonly grant: Grant }
  | { readonly kind: 'failed'; readonly reason: WaitFailure }

/** What a waiter listens on to leave the queue (the proxy's `ClientGoneSignal` is one). */
export interface AbortSource {
  readonly aborted: boolean
  once(event: 'abort', listener: () => void): unknown
  off(event: 'abort', listener: () => void): unknown
}

export interface WaitQueueOptions<Item = unknown> {
  /** Most waiters at once (`QUEUE_MAX`); one more is refused at once. */
  readonly maxWaiters: number
  /** Longest wait (`QUEUE_TIMEOUT_MS`), counted from when the request first queued. */
  readonly timeoutMs: number
  /** Groups the waiters that `waitingWith` counts; absent: none are counted. */
  readonly keyOf?: ((item: Item) => string) | undefined
}

interface Waiter<Item, Grant> {
  readonly item: Item
  readonly finish: (result: WaitResult<Grant>) => void
}

export class WaitQueue<Item, Grant> {
  readonly #options: WaitQueueOptions<Item>
  /** Oldest first. A Set keeps insertion order and removes a leaving waiter in O(1). */
  readonly #waiters = new Set<Waiter<Item, Grant>>()
  /** Waiters per `keyOf`, kept as they come and go. */
  readonly #counts = new Map<string, number>()
  #isClosed = false

  constructor(options: WaitQueueOptions<Item>) {
    this.#options = options
  }

  /** `QUEUE_MAX` */
  get maxWaiters(): number {
    return this.#options.maxWaiters
  }

  /** `QUEUE_TIMEOUT_MS` */
  get timeoutMs(): number {
    return this.#options.timeoutMs
  }

  /** Requests waiting now. */
  get size(): number {
    return this.#waiters.size
  }

  /** Requests waiting now whose `keyOf` is `key`. */
  waitingWith(key: string): number {
    return this.#counts.get(key) ?? 0
  }

  /**
   * Waits until `wakeFirst` grants this item a slot, the timeout passes, `signal` aborts, or the queue
   * closes. Resolves at once with `full` when `maxWaiters` are already waiting.
   */
  wait(item: Item, signal: AbortSource): Promise<WaitResult<Grant>> {
    if (this.#isClosed) return Promise.resolve({ kind: 'failed', reason: 'closed' })
    if (signal.aborted) return Promise.resolve({ kind: 'failed', reason: 'aborted' })
    if (this.#waiters.size >= this.#options.maxWaiters) {
      return Promise.resolve({ kind: 'failed', reason: 'full' })
    }
    return new Promise((resolve) => {
      const key = this.#options.keyOf?.(item)
      const onAbort = () => waiter.finish({ kind: 'failed', reason: 'aborted' })
      const timer = setTimeout(
        () => waiter.finish({ kind: 'failed', reason: 'timeout' }),
        this.#options.timeoutMs,
      )
      const waiter: Waiter<Item, Grant> = {
        item,
        finish: (result) => {
          // Every way out removes the waiter, its timer and its listener: nothing outlives the wait.
          if (!this.#waiters.delete(waiter)) return
          if (key !== undefined) this.#count(key, -1)
          clearTimeout(timer)
          signal.off('abort', onAbort)
          resolve(result)
        },
      }
      this.#waiters.add(waiter)
      if (key !== undefined) this.#count(key, 1)
      signal.once('abort', onAbort)
    })
  }

  #count(key: string, change: number): void {
    const count = (this.#counts.get(key) ?? 0) + change
    if (count === 0) this.#counts.delete(key)
    else this.#counts.set(key, count)
  }

  /**
   * Offers freed capacity to the waiters, oldest first: `grantFor` returns what to hand a waiter that
   * can use it now, or undefined to skip it (it keeps its place). Wakes at most one; returns whether it
   * did. `grantFor` sees each waiter at most once per call.
   */
  wakeFirst(grantFor: (item: Item) => Grant | undefined): boolean {
    for (const waiter of this.#waiters) {
      const grant = grantFor(waiter.item)
      if (grant === undefined) continue
      waiter.finish({ kind: 'granted', grant })
      return true
    }
    return false
  }

  /** Ends every wait with `closed` and refuses new ones (the app is shutting down). */
  close(): void {
    this.#isClosed = true
    for (const waiter of [...this.#waiters]) waiter.finish({ kind: 'failed', reason: 'closed' })
  }
}
