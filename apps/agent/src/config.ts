/**
 * The agent's settings: environment variables, overridden by flags (`--runtime-url` for
 * `RUNTIME_URL`), validated with zod. `loadConfig` is a pure function of `{ env, argv }`.
 */
import { parseArgs } from 'node:util'
import {
  BearerToken,
  describeHttpUrlProblem,
  formatZodIssues,
  Labels,
  MAX_CONCURRENCY,
  MAX_HOSTNAME_LENGTH,
  MAX_RUNTIME_API_KEY_LENGTH,
  MAX_URL_LENGTH,
  readSettingValue,
  UpstreamUrl,
} from '@llm-fleet/types'
import { z } from 'zod'
import { ConfigError } from './errors.js'
import { fetchBlockedPort } from './fetch-blocked-ports.js'
import { LOG_LEVELS } from './log.js'

/** Ollama's default address. */
export const DEFAULT_RUNTIME_URL = 'http://127.0.0.1:11434'

import { BACKOFF_CAP_MS } from './backoff.js'

export const DEFAULT_PUSH_INTERVAL_MS = 2000
/** Ollama's own default parallelism (`OLLAMA_NUM_PARALLEL`). */
export const DEFAULT_MAX_CONCURRENCY = 4
/** `nvidia-smi -q -x` takes 1–3 s on an 8-GPU host without persistence mode; a hung driver takes forever. */
export const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 10_000

const COMMANDS = ['run', 'sample'] as const
export type Command = (typeof COMMANDS)[number]

/**
 * The shared check of a URL the agent connects to (with fetch), naming which entry of a list failed. A
 * port fetch blocks would start an agent whose every request fails, forever, at an address curl reaches.
 */
function httpUrlProblem(value: string): string | null {
  const blockedPort = fetchBlockedPort(value)
  const problem =
    describeHttpUrlProblem(value, { requirePort: false }) ??
    (blockedPort === null
      ? null
      : `uses port ${blockedPort}, which fetch refuses to connect to (a "bad port" in the Fetch standard): move the service to another port`)
  return problem === null ? null : `"${withoutCredentials(value)}" ${problem}`
}

/** A URL as a message may repeat it: only its host where it carries a user or password; as given where it does not parse. */
function withoutCredentials(value: string): string {
  const url = URL.parse(value)
  return url !== null && (url.username !== '' || url.password !== '') ? url.host : value
}

/** `a=1,b=2` → `{ a: '1', b: '2' }`. */
function parseLabels(value: string, ctx: z.RefinementCtx): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const pair of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = pair.indexOf('=')
    if (separator <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not key=value` })
      continue
    }
    const key = pair.slice(0, separator).trim()
    // An object drops it, and the coordinator's JSON parser (fastify's `onProtoPoisoning`) refuses it.
    if (key === '__proto__') {
      ctx.addIssue({ code: 'custom', message: `"${key}" is a reserved name, not a label` })
    } else if (Object.hasOwn(labels, key)) {
      ctx.addIssue({ code: 'custom', message: `"${key}" is given twice` })
    } else labels[key] = pair.slice(separator + 1).trim()
  }
  return labels
}

export const ConfigSchema = z.strictObject({
  COORDINATOR_URL: z
    .string()
    .max(MAX_URL_LENGTH * 8)
    .transform((value, ctx) => {
      const entries = value.split(',').map((url) => url.trim().replace(/\/+$/, ''))
      // A trailing comma is a list's usual leftover; an empty entry anywhere else is a lost URL.
      if (entries.length > 1 && entries.at(-1) === '') entries.pop()
      const urls = [...new Set(entries.filter(Boolean))]
      if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one URL' })
      else if (entries.includes('')) {
        ctx.addIssue({ code: 'custom', message: 'has an empty entry (two commas in a row, or one first)' })
      }
      for (const url of urls) {
        const problem = httpUrlProblem(url)
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
      }
      return urls
    })
    .optional()
    .describe('Coordinator base URL; a comma-separated list registers with each. Required by `run`.'),
  AGENT_TOKEN: BearerToken.optional().describe(
    'Bearer token the coordinator expects (its AGENT_TOKEN). Environment only: no flag.',
  ),
  RUNTIME_URL: z
    .string()
    .max(MAX_URL_LENGTH)
    .superRefine((value, ctx) => {
      const problem = httpUrlProblem(value)
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
    })
    .default(DEFAULT_RUNTIME_URL)
    .describe('The LLM runtime as the agent reaches it.'),
  RUNTIME_API_KEY: BearerToken.max(MAX_RUNTIME_API_KEY_LENGTH)
    .optional()
    .describe(
      "The runtime's API key (vLLM / llama-server --api-key): sent with every probe, and registered with the coordinator, which sends it to this runtime only. Environment only: no flag.",
    ),
  RUNTIME_KIND: z
    .enum(['auto', 'ollama', 'openai'])
    .default('auto')
    .describe('`auto` probes Ollama `/api/version`, then OpenAI `/v1/models`.'),
  NODE_NAME: z
    .string()
    .min(1)
    .max(MAX_HOSTNAME_LENGTH)
    .optional()
    .describe(
      "The node's name at the coordinator (X-Fleet-Node, GET /api/agents). Default: the host's name; set it when one host runs several runtimes, each with its own agent.",
    ),
  ADVERTISE_URL: UpstreamUrl.optional().describe(
    'The runtime as the coordinator reaches it. Default: RUNTIME_URL with its host replaced by the primary non-loopback IPv4 (port and path kept).',
  ),
  MAX_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_CONCURRENCY)
    .default(DEFAULT_MAX_CONCURRENCY)
    .describe('Requests the runtime serves at once (Ollama OLLAMA_NUM_PARALLEL, vLLM max_num_seqs).'),
  PUSH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(DEFAULT_PUSH_INTERVAL_MS)
    .describe('Sampling and push interval until the coordinator answers with its own.'),
  BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(BACKOFF_CAP_MS)
    .describe(
      'Longest wait between two registration attempts at an unreachable coordinator; a cheap GET /healthz probe still runs every push interval.',
    ),
  NVIDIA_SMI_PATH: z
    .string()
    .min(1)
    .default('nvidia-smi')
    .describe('nvidia-smi binary, a name on PATH or a path; used for every call.'),
  NVIDIA_SMI_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(DEFAULT_NVIDIA_SMI_TIMEOUT_MS)
    .describe('nvidia-smi is killed after this long (a hung driver).'),
  LABELS: z
    .string()
    .transform(parseLabels)
    .pipe(Labels)
    .optional()
    .describe('Labels sent with the registration, `key=value,key=value`.'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('`debug`, `info`, `warn`, `error` or `silent`.'),
})

export type Config = Readonly<z.infer<typeof ConfigSchema>>
export type SettingName = keyof typeof ConfigSchema.shape
export const SETTING_NAMES = Object.keys(ConfigSchema.shape) as SettingName[]

/** Secrets have no flag: command lines are visible to every user of the host (as in the coordinator). */
export const ENV_ONLY_SETTINGS: ReadonlySet<SettingName> = new Set(['AGENT_TOKEN', 'RUNTIME_API_KEY'])
const FLAG_SETTINGS = SETTING_NAMES.filter((name) => !ENV_ONLY_SETTINGS.has(name))

/** `RUNTIME_URL` → `runtime-url`. */
export function flagName(setting: SettingName): string {
  return setting.toLowerCase().replaceAll('_', '-')
}

export interface LoadedConfig {
  command: Command
  isHelp: boolean
  config: Config
}

/** What the shell gave us; tests pass plain objects. */
export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>
  /** Arguments after the script name (`process.argv.slice(2)`). */
  argv: readonly string[]
}

/**
 * Reads and validates the settings. Throws `ConfigError` whose lines name the setting as the user
 * wrote it: the flag when it came from a flag, else the env var.
 */
export function loadConfig({ env, argv }: ConfigSources): LoadedConfig {
  const options = Object.fromEntries(
    FLAG_SETTINGS.map((name) => [flagName(name), { type: 'string' as const }]),
  )
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed
  } catch (error) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)])
  }
  const [command = 'run', ...extra] = parsed.positionals
  if (!(COMMANDS as readonly string[]).includes(command) || extra.length > 0) {
    throw new ConfigError([
      `unknown command "${[command, ...extra].join(' ')}": expected one of ${COMMANDS.join(', ')}`,
    ])
  }
  const fromFlags = new Set<SettingName>()
  const input: Record<string, string | boolean> = {}
  const blankFlags: string[] = []
  for (const name of SETTING_NAMES) {
    const read = readSettingValue(flagName(name), parsed.values, env[name])
    if (read.from === 'blank-flag') blankFlags.push(read.problem)
    else if (read.from !== 'unset') input[name] = read.value
    if (read.from === 'flag') fromFlags.add(name)
  }
  if (blankFlags.length > 0) throw new ConfigError(blankFlags)
  const isHelp = (parsed.values as Record<string, unknown>).help === true
  const result = ConfigSchema.safeParse(input)
  if (!result.success) {
    const rename = (key: string) =>
      fromFlags.has(key as SettingName) ? `--${flagName(key as SettingName)}` : key
    throw new ConfigError(formatZodIssues(result.error, rename))
  }
  if (command === 'run' && !isHelp && result.data.COORDINATOR_URL === undefined) {
    throw new ConfigError(['COORDINATOR_URL: is required to run (or use `llm-fleet-agent sample`)'])
  }
  return { command: command as Command, isHelp, config: Object.freeze(result.data) }
}

/** `--help` text: every setting with its flag, default and description. */
export function renderHelp(): string {
  const lines = [
    'Usage: llm-fleet-agent [run|sample] [--flag value …]',
    '',
    '  run      register with the coordinator(s) and push metrics until SIGTERM (default)',
    '  sample   print one registration and one metrics sample as JSON, then exit',
    '',
    'Settings (environment variable / flag; flags win):',
  ]
  for (const name of SETTING_NAMES) {
    const schema = ConfigSchema.shape[name]
    const parsedDefault = schema.safeParse(undefined)
    const defaultText =
      parsedDefault.success && parsedDefault.data !== undefined
        ? ` (default: ${String(parsedDefault.data)})`
        : ''
    const flag = ENV_ONLY_SETTINGS.has(name) ? '' : ` / --${flagName(name)}`
    lines.push(`  ${name}${flag}${defaultText}`, `      ${schema.description ?? ''}`)
  }
  return lines.join('\n')
}
