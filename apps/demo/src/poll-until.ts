/** Waiting for a condition by polling with a deadline: never a fixed sleep. */
import { setTimeout as sleep } from 'node:timers/promises'

export interface PollOptions {
  /** What is awaited, for the timeout message (`3 nodes online`). */
  readonly what: string
  readonly timeoutMs: number
  /** Pause between two checks. */
  readonly intervalMs?: number
  readonly signal?: AbortSignal
}

const DEFAULT_POLL_INTERVAL_MS = 50

/**
 * Calls `check` until it returns a value other than undefined and resolves with it. A check that
 * throws counts as "not yet" (the coordinator may be restarting); the last error is in the timeout's message.
 * @example const node = await pollUntil(async () => (await nodes()).find(isOnline), { what: 'a node online', timeoutMs: 10_000 })
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs
  let lastError: unknown
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (performance.now() >= deadline) {
      const cause = lastError === undefined ? '' : `: last error: ${String(lastError)}`
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${cause}`, {
        cause: lastError,
      })
    }
    await sleep(options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS, undefined, { signal: options.signal })
  }
}
