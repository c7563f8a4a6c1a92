/** The command line: argv + env → the command to run, `--help`, or a usage error. Exit codes live here. */
import { type ConfigSources, type LoadedConfig, loadConfig, renderHelp } from './config.js'
import { ConfigError } from './errors.js'

export const EXIT_OK = 0
/** An unexpected failure (a bug): the service manager restarts us. */
export const EXIT_FAILURE = 1
/** A bad setting or command (BSD sysexits EX_USAGE is 64; 2 is the shell convention the issue asks for). */
export const EXIT_USAGE = 2
/** sysexits EX_CONFIG: the coordinator refused our token. Restarting cannot fix it. */
export const EXIT_CONFIG_UNAUTHORIZED = 78

export type CliDecision = { kind: 'run'; loaded: LoadedConfig } | { kind: 'exit'; code: number }

/**
 * Reads the settings; prints `--help` or the config errors (one line per setting) itself and says
 * which exit code to use.
 */
export function parseCommandLine(sources: ConfigSources): CliDecision {
  let loaded: LoadedConfig
  try {
    loaded = loadConfig(sources)
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.issues) console.error(`llm-fleet-agent: invalid setting: ${line}`)
      console.error('Run `llm-fleet-agent --help` for the list of settings.')
      return { kind: 'exit', code: EXIT_USAGE }
    }
    throw error
  }
  if (loaded.isHelp) {
    console.log(renderHelp())
    return { kind: 'exit', code: EXIT_OK }
  }
  return { kind: 'run', loaded }
}
