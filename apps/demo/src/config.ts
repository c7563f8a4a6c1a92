/** The demo's few settings, read from the environment and flags in this one place. Pure: tests pass objects. */
import { parseArgs } from 'node:util'
import { REPO_ROOT } from './repo-paths.js'

export interface DemoConfig {
  /**
   * A person is watching: colors, a live view, pauses between waves, and the fleet left running at
   * the end. False under CI (`CI` set to anything but `false`/`0`) or when stdout is not a terminal:
   * then a fixed run, and the exit code says whether every request succeeded.
   */
  readonly isInteractive: boolean
  /**
   * Leave the fleet running after the traffic until Ctrl-C: always on a terminal, and with
   * `--keep-running` without one (a container's log, a test).
   */
  readonly isKeptRunning: boolean
  readonly repoRoot: string
}

export const HELP = `Usage: llm-fleet-demo [--keep-running]

Starts a coordinator, simulated GPU hosts with real agents, and sends traffic with the openai client.
On a terminal it shows the routing live and then leaves the fleet running until Ctrl-C; without one
(or with CI set) it sends a fixed set of requests and exits 0 when all succeeded.

  --keep-running   leave the fleet running after the traffic even without a terminal
  --help           print this help
Environment: CI
`

/** @throws TypeError (from parseArgs) naming an unknown flag. */
export function loadDemoConfig(input: {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly argv: readonly string[]
  readonly isTty: boolean
}): DemoConfig & { readonly isHelp: boolean } {
  const { values } = parseArgs({
    args: [...input.argv],
    options: { 'keep-running': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  })
  const ci = input.env.CI
  const isCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
  const isInteractive = input.isTty && !isCi
  return {
    isHelp: values.help === true,
    isInteractive,
    isKeptRunning: isInteractive || values['keep-running'] === true,
    repoRoot: REPO_ROOT,
  }
}
