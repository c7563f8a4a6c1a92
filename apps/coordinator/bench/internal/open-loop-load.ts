/**
 * Open-loop load: requests leave on a fixed schedule whatever the answers do, so a server that falls
 * behind shows as latency and lag instead of a lower rate (closed loops hide that: coordinated omission).
 */

export interface OpenLoopOptions {
  /** Requests per second; request k is due at k / ratePerS seconds after the start. */
  readonly ratePerS: number
  readonly durationMs: number
  /**
   * Sends request `sequence`; `lagMs` is how late it leaves against its schedule. Must count its own
   * failures: a rejection ends the run.
   */
  send(sequence: number, lagMs: number): Promise<void>
  /** Called on every tick (about 1 ms apart) after the due requests left, with the time since the start. */
  onTick?(elapsedMs: number): void
}

export interface OpenLoopResult {
  readonly sent: number
  /** From the start to the last send (answers still in flight then are awaited, not timed). */
  readonly elapsedMs: number
  /** How late the latest requests left, at the end (a growing lag means the sender fell behind). */
  readonly endLagMs: number
  readonly maxLagMs: number
}

/** Sends on schedule for `durationMs`, then waits for every request still in flight. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const spacingMs = 1_000 / options.ratePerS
  const inFlight = new Set<Promise<void>>()
  let sent = 0
  let endLagMs = 0
  let maxLagMs = 0
  const startedAt = performance.now()
  for (;;) {
    const now = performance.now()
    if (now - startedAt >= options.durationMs) break
    // Every request due by now leaves now; its lateness is the lag.
    while (startedAt + sent * spacingMs <= now) {
      endLagMs = now - (startedAt + sent * spacingMs)
      if (endLagMs > maxLagMs) maxLagMs = endLagMs
      const request: Promise<void> = options.send(sent, endLagMs).finally(() => inFlight.delete(request))
      inFlight.add(request)
      sent++
    }
    options.onTick?.(now - startedAt)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const elapsedMs = performance.now() - startedAt
  await Promise.all(inFlight)
  return { sent, elapsedMs, endLagMs, maxLagMs }
}
