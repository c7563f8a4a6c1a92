/**
 * Closed-loop load: `concurrency` lanes, each sending its next request only when the previous one has
 * answered, so the rate is whatever the server sustains (throughput), unlike `open-loop-load.ts`.
 */

/**
 * Runs `task` back to back on `concurrency` lanes until `signal` aborts; resolves once every lane's
 * last task has settled. A task must count its own failures: a rejection ends the run.
 * @example await runClosedLoop(16, AbortSignal.timeout(2_000), async () => { await send() })
 */
export async function runClosedLoop(
  concurrency: number,
  signal: AbortSignal,
  task: (lane: number, iteration: number) => Promise<void>,
): Promise<void> {
  const lane = async (index: number) => {
    for (let iteration = 0; !signal.aborted; iteration++) await task(index, iteration)
  }
  await Promise.all(Array.from({ length: concurrency }, (_, index) => lane(index)))
}
