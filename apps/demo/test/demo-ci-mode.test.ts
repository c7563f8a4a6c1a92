/**
 * The demo itself, as `pnpm demo` runs it (the built `dist/main.js`), without a terminal: a fixed run
 * that exits 0; and, kept running, Ctrl-C (SIGINT) stops every process it started.
 */
import { expect, it } from 'vitest'
import { ManagedProcess } from '../src/managed-process.js'
import { pollUntil } from '../src/poll-until.js'
import { binPaths, REPO_ROOT } from '../src/repo-paths.js'
import { DEMO_HOSTS } from '../src/simulated-host.js'
import { descendantPids, isRunning } from './helpers/process-table.js'

const STOP_TIMEOUT_MS = 30_000

function startDemo(args: readonly string[] = []): ManagedProcess {
  return ManagedProcess.start({
    name: 'demo',
    script: binPaths(REPO_ROOT).demo,
    args,
    env: { ...process.env, CI: 'true' },
  })
}

/** Every URL the demo printed for its coordinator and runtimes (`http://127.0.0.1:PORT`). */
function printedUrls(output: string): string[] {
  return [...new Set(output.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])]
}

async function isListening(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) })
    return true
  } catch (error) {
    // Refused: nothing listens there any more, which is the point.
    return (error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED'
  }
}

async function expectNothingListening(urls: readonly string[]): Promise<void> {
  await pollUntil(async () => ((await Promise.all(urls.map(isListening))).some(Boolean) ? undefined : true), {
    what: `nothing listening at ${urls.join(', ')}`,
    timeoutMs: STOP_TIMEOUT_MS,
  })
}

it('runs the fixed set of requests in CI mode, prints the summary, exits 0 and leaves nothing running', async () => {
  const demo = startDemo()
  const exit = await demo.exited
  const output = demo.outputTail(200)
  expect(exit, output).toEqual({ code: 0, signal: null })
  expect(output).toMatch(/Summary/)
  expect(output).toMatch(/\b0 failed\b/)
  // Which node served what depends on timing here; spec-first-balancing.test.ts pins it down.
  for (const host of DEMO_HOSTS) expect(output).toContain(host.name)
  // Coordinator and runtimes: 1 + one per host.
  const urls = printedUrls(output)
  expect(urls.length).toBeGreaterThanOrEqual(1 + DEMO_HOSTS.length)
  await expectNothingListening(urls)
})

it('with --keep-running, leaves the fleet up after the traffic and stops every process on SIGINT', async () => {
  const demo = startDemo(['--keep-running'])
  await pollUntil(async () => (demo.outputTail(200).includes('Press Ctrl-C') ? true : undefined), {
    what: 'the demo to finish its traffic and wait',
    timeoutMs: 60_000,
  })
  const urls = printedUrls(demo.outputTail(200))
  expect(urls.length).toBeGreaterThanOrEqual(1 + DEMO_HOSTS.length)
  // The fleet is still there for the user to try.
  expect(await isListening(urls[0] ?? '')).toBe(true)
  // Coordinator, runtimes, agents, and the agents' nvidia-smi loops.
  const descendants = descendantPids(demo.pid ?? 0)
  expect(descendants.length).toBeGreaterThanOrEqual(1 + 2 * DEMO_HOSTS.length)
  // To the demo only (not its group), as a terminal's Ctrl-C reaches it through pnpm.
  process.kill(demo.pid ?? 0, 'SIGINT')
  const exit = await demo.exited
  expect(exit.code).toBe(130)
  await expectNothingListening(urls)
  await pollUntil(async () => (descendants.some(isRunning) ? undefined : true), {
    what: `every process the demo started (${descendants.join(', ')}) to end`,
    timeoutMs: STOP_TIMEOUT_MS,
  })
})
