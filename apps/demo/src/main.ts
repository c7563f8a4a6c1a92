#!/usr/bin/env node
/**
 * The demo (`pnpm demo`): a coordinator, simulated GPU hosts with real agents, traffic from the
 * official openai client shown live, a summary, then the fleet left running until Ctrl-C. Without a
 * terminal (CI) it sends a fixed set of requests and exits 0 when all succeeded. The only file that
 * exits or handles signals.
 */
import { setMaxListeners } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HELP, loadDemoConfig } from './config.js'
import { describeUnexpectedExit, Fleet } from './fleet.js'
import { formatFleet, formatSummary, formatTryIt, TerminalView } from './render.js'
import { DEMO_HOSTS, DEMO_MODEL } from './simulated-host.js'
import { summarizeTraffic } from './summary.js'
import { demoPhases, runTraffic } from './traffic.js'

const EXIT_OK = 0
const EXIT_FAILURE = 1
const EXIT_USAGE = 2
/** 128 + SIGINT, as shells report a Ctrl-C. */
const EXIT_INTERRUPTED = 130

/**
 * Real GPU speed: a T4 answer takes a second or two, slow enough to watch slots fill on a terminal,
 * and long enough in CI that a wave's requests overlap even when starting them takes a while.
 */
const SPEED_SCALE = 1
const PAUSE_BETWEEN_PHASES_MS = { interactive: 1500, ci: 0 } as const
const MAX_TOKENS = 48
/** Spec-first: the fastest host first, spill-over, round-robin when all are busy, each step easy to see. */
const BALANCER_MODE = 'spec'
const PUSH_INTERVAL_MS = 1000

async function main(): Promise<number> {
  let config: ReturnType<typeof loadDemoConfig>
  try {
    config = loadDemoConfig({
      env: process.env,
      argv: process.argv.slice(2),
      isTty: process.stdout.isTTY === true,
    })
  } catch (error) {
    process.stderr.write(`llm-fleet-demo: ${error instanceof Error ? error.message : String(error)}\n${HELP}`)
    return EXIT_USAGE
  }
  if (config.isHelp) {
    process.stdout.write(HELP)
    return EXIT_OK
  }
  const mode = config.isInteractive ? 'interactive' : 'ci'
  const logDir = mkdtempSync(join(tmpdir(), 'llm-fleet-demo-'))
  const fleet = new Fleet(
    {
      repoRoot: config.repoRoot,
      hosts: DEMO_HOSTS,
      speedScale: SPEED_SCALE,
      pushIntervalMs: PUSH_INTERVAL_MS,
      loadBalancerMode: BALANCER_MODE,
      logDir,
    },
    process.env,
  )
  const view = new TerminalView({
    sink: process.stdout,
    isInteractive: config.isInteractive,
    ...(process.stdout.columns === undefined ? {} : { columns: process.stdout.columns }),
    nodes: DEMO_HOSTS.map((host) => ({ name: host.name, maxConcurrency: host.maxConcurrency })),
  })

  // Ctrl-C, SIGTERM or a process of the fleet dying: everything stops, in order.
  const stop = new AbortController()
  // Every request in flight listens on it: a wave of 12 is not a leak.
  setMaxListeners(100, stop.signal)
  let exitCode = EXIT_INTERRUPTED
  const onSignal = () => stop.abort(new Error('interrupted'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // The last resort if this process exits abruptly (an uncaught error): no orphans.
  process.once('exit', () => fleet.killNow())
  fleet.onUnexpectedExit((child, exit) => {
    view.stopLive()
    process.stderr.write(`\n${describeUnexpectedExit(child, exit)}\n`)
    exitCode = EXIT_FAILURE
    stop.abort(new Error(`${child.name} exited`))
  })

  try {
    view.print(view.paint('llm-fleet demo', 'bold'))
    view.print(
      `Starting a coordinator, ${DEMO_HOSTS.length} simulated GPU hosts (mock runtimes) and a real agent for each… (logs: ${logDir})`,
    )
    await abortable(fleet.start(), stop.signal)
    view.print()
    view.print(
      `Coordinator ${fleet.coordinatorUrl}, balancer mode ${BALANCER_MODE}. Nodes, as the agents registered them:`,
    )
    const nodes = await fleet.nodes()
    for (const line of formatFleet(nodes)) view.print(line)
    if (nodes.some((node) => node.registration.gpus.length === 0)) {
      view.print(
        view.paint(
          `A node without GPUs: its fake nvidia-smi failed; see the agent logs in ${logDir}`,
          'yellow',
        ),
      )
    }

    view.startLive()
    const outcomes = await runTraffic(demoPhases(DEMO_HOSTS), {
      coordinatorUrl: fleet.coordinatorUrl,
      model: DEMO_MODEL,
      maxTokens: MAX_TOKENS,
      observer: view,
      pauseBetweenPhasesMs: PAUSE_BETWEEN_PHASES_MS[mode],
      signal: stop.signal,
    })
    view.stopLive()

    const summary = summarizeTraffic(
      outcomes,
      DEMO_HOSTS.map((host) => host.name),
    )
    view.print()
    view.print(view.paint('Summary', 'bold'))
    for (const line of formatSummary(summary)) view.print(line)
    view.print()
    if (summary.failures > 0) exitCode = EXIT_FAILURE
    if (!config.isKeptRunning) return summary.failures === 0 ? EXIT_OK : EXIT_FAILURE

    for (const line of formatTryIt(fleet.coordinatorUrl, DEMO_MODEL)) view.print(line)
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }))
    return exitCode
  } catch (error) {
    view.stopLive()
    if (!stop.signal.aborted) {
      process.stderr.write(
        `\nllm-fleet demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
      )
      return EXIT_FAILURE
    }
    return exitCode
  } finally {
    process.stdout.write('\nStopping the fleet…\n')
    await fleet.close()
    process.stdout.write('Stopped.\n')
  }
}

/** Rejects as soon as `signal` aborts, even if `work` would take longer (a start that hangs). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('llm-fleet demo: fatal error', error)
    process.exit(EXIT_FAILURE)
  },
)
