/**
 * The coordinator's settings: one zod schema, read from the environment and the command line in this
 * one place (flags override env, env overrides defaults). `loadConfig` is pure: tests pass objects.
 */
import { constants as bufferConstants } from 'node:buffer'
import { parseArgs } from 'node:util'
import { BearerToken, formatZodIssues, readSettingValue } from '@llm-fleet/types'
import { z } from 'zod'
import { BALANCER_MODES } from './core/balancer/strategies.js'
import { DEFAULT_LEARNING } from './core/balancer/strategy.js'
import { ConfigInvalidError } from './errors.js'

export const DEFAULT_PUSH_INTERVAL_MS = 2_000
/** Missing this many pushes in a row makes a node stale. */
export const TTL_PUSH_INTERVALS = 3

const MiB = 1024 * 1024
/**
 * The largest body limit: a body is parsed as one string, and V8 builds none longer than this (about
 * 512 MiB on 64-bit Node), so a larger body could only fail as "not valid JSON".
 */
const MAX_BODY_BYTES = bufferConstants.MAX_STRING_LENGTH
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Milliseconds, a whole number within [min, 1 day]. */
const milliseconds = (min: number) => z.coerce.number().int().min(min).max(86_400_000)
/** A comma-separated list, its entries trimmed and empty ones (a trailing comma) dropped. */
const commaSeparated = z.string().transform((list) =>
  list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== ''),
)
/** An origin a browser sends (`scheme://host[:port]`), where `*` may stand for any text. */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[^\s/,]*$/i

export const ConfigSchema = z.strictObject({
  /** Address to listen on. A non-loopback address needs AGENT_TOKEN (or --insecure). */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port to listen on; 0 picks a free one. */
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** pino log level. */
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Shared secret agents send as `Authorization: Bearer <token>`; unset = agent API unauthenticated. */
  agentToken: BearerToken.optional(),
  /** Allow a non-loopback HOST without AGENT_TOKEN (anyone who can reach the port can register nodes). */
  insecure: z.boolean().default(false),
  /**
   * How the balancer picks a node: `fastest-finish` (earliest expected finish; see docs/balancing.md),
   * `spec` (fastest GPU with room first), `round-robin`, `metrics`.
   */
  loadBalancerMode: z.enum(BALANCER_MODES).default('fastest-finish'),
  /** How often agents push metrics; told to each agent when it registers. */
  pushIntervalMs: milliseconds(100).default(DEFAULT_PUSH_INTERVAL_MS),
  /** A node without contact for this long is stale and gets no traffic. Default 3 push intervals. */
  agentTtlMs: milliseconds(100).optional(),
  /** Most nodes the registry holds; a full registry evicts its longest-stale idle node, else answers 503. */
  maxNodes: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Request body limit of the agent API and every other non-inference route (413 beyond). 1 MiB holds
   * the largest valid registration or metrics push (1 024 model names of 256 characters, 64 GPUs).
   */
  bodyLimitBytes: z.coerce.number().int().min(1024).max(MAX_BODY_BYTES).default(MiB),
  /**
   * Request body limit of the inference routes (/v1/*, /api/chat, …; 413 beyond, naming this setting).
   * 64 MiB holds a chat carrying several phone photos as base64 (OpenAI `image_url` data URLs, Ollama
   * `images`): OpenAI's API takes up to 50 MB of images a request, and Ollama and vLLM set no limit.
   * The cost: the coordinator holds each body in memory, and parses, searches for images and hashes it
   * on the event loop, so every other stream pauses while a body near the limit is read.
   */
  inferenceBodyLimitBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(MAX_BODY_BYTES)
    .default(64 * MiB),
  /** A node whose fresh metrics show host CPU above this percentage counts as busy. */
  busyCpuPct: z.coerce.number().min(0).max(100).default(80),
  /** A node whose fresh metrics show mean GPU utilization above this percentage counts as busy. */
  busyGpuPct: z.coerce.number().min(0).max(100).default(90),
  /** How long a node is skipped after 3 upstream failures in a row. */
  coolDownMs: milliseconds(0).default(30_000),
  /** Client API keys for the inference routes (comma-separated); unset = inference unauthenticated. */
  apiKeys: commaSeparated.pipe(z.array(BearerToken).min(1).max(10_000)).optional(),
  /**
   * Origins allowed to call from a browser (comma-separated, `*` for any text in one), beside Ollama's
   * defaults: localhost on any port, app://, file://, tauri://, VS Code and browser extensions.
   */
  allowedOrigins: commaSeparated
    .pipe(
      z
        .array(
          z.string().refine((origin) => origin === '*' || ORIGIN_PATTERN.test(origin), {
            error: (issue) =>
              `"${String(issue.input)}" is not an origin: scheme://host[:port], no path (* for any text)`,
          }),
        )
        .max(1_000),
    )
    .optional(),
  /** Longest wait for an upstream's first response byte (model loading can take minutes). */
  upstreamHeadersTimeoutMs: milliseconds(1).default(300_000),
  /** Longest idle gap between two chunks of an upstream response body. */
  upstreamBodyTimeoutMs: milliseconds(1).default(120_000),
  /** Other nodes tried after a connection failure, a 5xx or a 404, before any byte reached the client. */
  maxRetries: z.coerce.number().int().min(0).max(10).default(2),
  /** On SIGTERM/SIGINT, how long in-flight requests get to finish before the process exits. */
  shutdownGraceMs: milliseconds(0).default(30_000),
  /**
   * On SIGTERM/SIGINT, how long `/readyz` answers 503 while the coordinator still serves, before it stops
   * accepting: long enough for a health-checking front (HAProxy, nginx) to take it out of rotation.
   */
  shutdownReadyGraceMs: milliseconds(0).default(0),
  /**
   * After a start, the longest `/readyz` waits for the fleet (every node the shared store lists, or no
   * new registration for two push intervals) before it answers 200 with whatever nodes are online.
   */
  readyTimeoutMs: milliseconds(0).default(10_000),
  /**
   * Redis or Valkey (`redis://` or `rediss://`) where coordinators share per-node in-flight counts,
   * cool-downs and prompts not started; unset = this coordinator counts alone.
   */
  sharedStateUrl: z
    .string()
    .refine((value) => /^rediss?:\/\/\S+$/.test(value) && URL.canParse(value), {
      error: 'must be a redis:// or rediss:// URL',
    })
    .optional(),
  /** How often a coordinator refreshes its entry in the shared store; peers drop it after 3 missed. */
  sharedStateHeartbeatMs: milliseconds(100).default(1000),
  /**
   * When every node is busy, hold requests in a FIFO queue until a slot frees instead of sending them
   * to a busy node (spec and fastest-finish modes; round-robin and metrics ignore load).
   */
  queueWhenBusy: z.stringbool().default(false),
  /** Most requests waiting at once; one more gets 503 + Retry-After. */
  queueMax: z.coerce.number().int().min(1).max(1_000_000).default(1024),
  /** Longest wait in the queue; then 503 + Retry-After. */
  queueTimeoutMs: milliseconds(1).default(30_000),
  /** Half-life of what the default balancer learned from a response (rates, load times): newer counts more. */
  balancerHalfLifeMs: milliseconds(1_000).default(DEFAULT_LEARNING.halfLifeMs),
  /**
   * How heavily the default balancer weighs the prompts a node has not started (no first byte yet)
   * against their prefill time alone: they also wait for places and loads, and the default prices a
   * slow tail, not the mean (docs/default-balancer.md).
   */
  balancerWaitingWeight: z.coerce.number().min(1).max(100).default(DEFAULT_LEARNING.waitingWeight),
  /** Most prompt-prefix blocks the default balancer remembers (~72 B each; 1 048 576 ≈ 75 MB at most). */
  prefixIndexMaxEntries: z.coerce
    .number()
    .int()
    .min(1)
    .max(67_108_864)
    .default(DEFAULT_LEARNING.prefixMaxEntries),
  /** How long a node's computed prompt prefix counts as still in its KV cache. */
  prefixCacheTtlMs: milliseconds(1_000).default(DEFAULT_LEARNING.prefixTtlMs),
})

type ParsedConfig = z.output<typeof ConfigSchema>

/** The validated settings, passed down from `main.ts`. */
export type Config = Readonly<
  Omit<ParsedConfig, 'agentTtlMs' | 'apiKeys' | 'allowedOrigins'> & {
    agentTtlMs: number
    apiKeys: readonly string[]
    allowedOrigins: readonly string[]
  }
>

export type ConfigKey = keyof typeof ConfigSchema.shape

/** Where each setting comes from and what `--help` says about it. Secrets have no flag (argv is public). */
export interface SettingSource {
  readonly env: string | null
  readonly flag: string | null
  /** The default as `--help` and docs/configuration.md show it (when the schema has none). */
  readonly defaultText: string
  readonly help: string
}

export const SETTINGS: Readonly<Record<ConfigKey, SettingSource>> = {
  host: { env: 'HOST', flag: 'host', defaultText: '127.0.0.1', help: 'address to listen on' },
  port: { env: 'PORT', flag: 'port', defaultText: '8080', help: 'TCP port (0 = any free port)' },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', defaultText: 'info', help: LOG_LEVELS.join(' | ') },
  agentToken: {
    env: 'AGENT_TOKEN',
    flag: null,
    defaultText: 'unset',
    help: 'bearer token agents must send; required on a non-loopback HOST unless --insecure',
  },
  insecure: {
    env: null,
    flag: 'insecure',
    defaultText: 'off',
    help: 'allow a non-loopback HOST without AGENT_TOKEN',
  },
  loadBalancerMode: {
    env: 'LOAD_BALANCER_MODE',
    flag: 'load-balancer-mode',
    defaultText: 'fastest-finish',
    help: BALANCER_MODES.join(' | '),
  },
  pushIntervalMs: {
    env: 'PUSH_INTERVAL_MS',
    flag: 'push-interval-ms',
    defaultText: String(DEFAULT_PUSH_INTERVAL_MS),
    help: 'metrics push interval told to agents',
  },
  agentTtlMs: {
    env: 'AGENT_TTL_MS',
    flag: 'agent-ttl-ms',
    defaultText: '3 × PUSH_INTERVAL_MS',
    help: 'a node without contact for this long is stale',
  },
  maxNodes: { env: 'MAX_NODES', flag: 'max-nodes', defaultText: '10000', help: 'most nodes held' },
  bodyLimitBytes: {
    env: 'BODY_LIMIT_BYTES',
    flag: 'body-limit-bytes',
    defaultText: '1048576 (1 MiB)',
    help: 'body limit of the agent API and other non-inference routes',
  },
  inferenceBodyLimitBytes: {
    env: 'INFERENCE_BODY_LIMIT_BYTES',
    flag: 'inference-body-limit-bytes',
    defaultText: '67108864 (64 MiB)',
    help: 'body limit of the inference routes (chats with images as base64)',
  },
  busyCpuPct: {
    env: 'BUSY_CPU_PCT',
    flag: 'busy-cpu-pct',
    defaultText: '80',
    help: 'host CPU % above which a node is busy',
  },
  busyGpuPct: {
    env: 'BUSY_GPU_PCT',
    flag: 'busy-gpu-pct',
    defaultText: '90',
    help: 'GPU utilization % above which a node is busy',
  },
  balancerHalfLifeMs: {
    env: 'BALANCER_HALF_LIFE_MS',
    flag: 'balancer-half-life-ms',
    defaultText: String(DEFAULT_LEARNING.halfLifeMs),
    help: 'half-life of the rates and load times the default balancer learns',
  },
  balancerWaitingWeight: {
    env: 'BALANCER_WAITING_WEIGHT',
    flag: 'balancer-waiting-weight',
    defaultText: String(DEFAULT_LEARNING.waitingWeight),
    help: 'weight of prompts a node has not started yet, over their prefill time (1-100)',
  },
  prefixIndexMaxEntries: {
    env: 'PREFIX_INDEX_MAX_ENTRIES',
    flag: 'prefix-index-max-entries',
    defaultText: String(DEFAULT_LEARNING.prefixMaxEntries),
    help: 'prompt-prefix blocks remembered for cache affinity (~72 B each)',
  },
  prefixCacheTtlMs: {
    env: 'PREFIX_CACHE_TTL_MS',
    flag: 'prefix-cache-ttl-ms',
    defaultText: String(DEFAULT_LEARNING.prefixTtlMs),
    help: 'how long a computed prompt prefix counts as cached on its node',
  },
  coolDownMs: {
    env: 'COOL_DOWN_MS',
    flag: 'cool-down-ms',
    defaultText: '30000',
    help: 'how long a node is skipped after 3 upstream failures in a row',
  },
  allowedOrigins: {
    env: 'ALLOWED_ORIGINS',
    flag: 'allowed-origins',
    defaultText: 'unset',
    help: 'comma-separated origins allowed to call from a browser, beside localhost, app://, file://, tauri://, VS Code and browser extensions (* for any text)',
  },
  apiKeys: {
    env: 'API_KEYS',
    flag: null,
    defaultText: 'unset',
    help: 'comma-separated client API keys for the inference routes',
  },
  upstreamHeadersTimeoutMs: {
    env: 'UPSTREAM_HEADERS_TIMEOUT_MS',
    flag: 'upstream-headers-timeout-ms',
    defaultText: '300000',
    help: 'longest wait for the first upstream byte',
  },
  upstreamBodyTimeoutMs: {
    env: 'UPSTREAM_BODY_TIMEOUT_MS',
    flag: 'upstream-body-timeout-ms',
    defaultText: '120000',
    help: 'longest idle gap between upstream chunks',
  },
  maxRetries: {
    env: 'MAX_RETRIES',
    flag: 'max-retries',
    defaultText: '2',
    help: 'other nodes tried when a node fails before any byte',
  },
  shutdownGraceMs: {
    env: 'SHUTDOWN_GRACE_MS',
    flag: 'shutdown-grace-ms',
    defaultText: '30000',
    help: 'time in-flight requests get on SIGTERM',
  },
  shutdownReadyGraceMs: {
    env: 'SHUTDOWN_READY_GRACE_MS',
    flag: 'shutdown-ready-grace-ms',
    defaultText: '0',
    help: 'on SIGTERM, time /readyz answers 503 before the coordinator stops accepting (for a front)',
  },
  readyTimeoutMs: {
    env: 'READY_TIMEOUT_MS',
    flag: 'ready-timeout-ms',
    defaultText: '10000',
    help: 'longest /readyz waits for the fleet to register after a start',
  },
  sharedStateUrl: {
    env: 'SHARED_STATE_URL',
    flag: null,
    defaultText: 'unset',
    help: 'redis:// or rediss:// URL of a Redis/Valkey shared by several coordinators (in-flight counts, cool-downs, prompts not started)',
  },
  sharedStateHeartbeatMs: {
    env: 'SHARED_STATE_HEARTBEAT_MS',
    flag: 'shared-state-heartbeat-ms',
    defaultText: '1000',
    help: 'how often a coordinator refreshes its shared-store entry; peers drop it after 3 missed',
  },
  queueWhenBusy: {
    env: 'QUEUE_WHEN_BUSY',
    flag: 'queue-when-busy',
    defaultText: 'false',
    help: 'queue requests (FIFO) while every node is busy instead of sending them to a busy node',
  },
  queueMax: {
    env: 'QUEUE_MAX',
    flag: 'queue-max',
    defaultText: '1024',
    help: 'most requests waiting at once (503 + Retry-After beyond)',
  },
  queueTimeoutMs: {
    env: 'QUEUE_TIMEOUT_MS',
    flag: 'queue-timeout-ms',
    defaultText: '30000',
    help: 'longest wait in the queue (503 + Retry-After after)',
  },
}

const CONFIG_KEYS = Object.keys(SETTINGS) as ConfigKey[]

export interface LoadConfigInput {
  readonly env: Readonly<Record<string, string | undefined>>
  /** Command-line arguments without the node binary and script (`process.argv.slice(2)`). */
  readonly argv: readonly string[]
}

/**
 * Reads and validates every setting.
 * @throws ConfigInvalidError (`FLEET_CONFIG_INVALID`) listing each bad setting by its env or flag name.
 */
export function loadConfig({ env, argv }: LoadConfigInput): Config {
  const flags = parseFlags(argv)
  const raw: Record<string, unknown> = {}
  const blankFlags: string[] = []
  for (const key of CONFIG_KEYS) {
    const { env: envName, flag } = SETTINGS[key]
    const read = readSettingValue(flag, flags, envName === null ? undefined : env[envName])
    if (read.from === 'blank-flag') blankFlags.push(read.problem)
    else if (read.from !== 'unset') raw[key] = read.value
  }
  if (blankFlags.length > 0) throw new ConfigInvalidError(blankFlags.join('\n'))
  // Each setting by the name it was given as: a flag on the command line, else its variable.
  const rename = (key: string) => givenName(key as ConfigKey, argv)

  const result = ConfigSchema.safeParse(raw)
  if (!result.success) throw new ConfigInvalidError(formatZodIssues(result.error, rename).join('\n'))
  const parsed = result.data
  const config: Config = {
    ...parsed,
    agentTtlMs: parsed.agentTtlMs ?? TTL_PUSH_INTERVALS * parsed.pushIntervalMs,
    apiKeys: parsed.apiKeys ?? [],
    allowedOrigins: parsed.allowedOrigins ?? [],
  }

  const problems: string[] = []
  if (config.agentTtlMs < config.pushIntervalMs) {
    problems.push(
      `${rename('agentTtlMs')}: must be at least the push interval (${config.pushIntervalMs} ms), or every node turns stale between pushes`,
    )
  }
  if (!isLoopbackHost(config.host) && config.agentToken === undefined && !config.insecure) {
    problems.push(
      `${rename('host')}: ${config.host} is not a loopback address and AGENT_TOKEN is unset, so anyone who can reach it could register nodes; set AGENT_TOKEN, or pass --insecure to start anyway`,
    )
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems.join('\n'))
  return Object.freeze(config)
}

/** Whether `--help` or `-h` is among the arguments (checked before `loadConfig`, which ignores it). */
export function isHelpRequested(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

/** The `--help` text: every setting with its flag, variable and default. */
export function helpText(): string {
  const lines = [
    'Usage: llm-fleet-coordinator [flags]',
    '',
    'Every setting can come from a flag or an environment variable; flags win.',
    '',
  ]
  for (const key of CONFIG_KEYS) {
    const { env, flag, defaultText, help } = SETTINGS[key]
    const names = [flag === null ? null : `--${flag}`, env].filter((name) => name !== null).join(', ')
    lines.push(`  ${names}`, `      ${help} (default: ${defaultText})`)
  }
  lines.push('  --help, -h', '      print this help')
  return `${lines.join('\n')}\n`
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare === 'localhost' || bare === '::1') return true
  return /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

/** The setting's name as the user gave it: its flag when `argv` holds it, else `settingName`. */
export function givenName(key: ConfigKey, argv: readonly string[]): string {
  const { flag } = SETTINGS[key]
  const isGiven = flag !== null && argv.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`))
  return isGiven ? `--${flag}` : settingName(key)
}

/** The name a user knows a setting by: its variable, or its flag where it has none. */
function settingName(key: ConfigKey): string {
  const { env, flag } = SETTINGS[key]
  return env ?? `--${flag}`
}

/** A flag without an environment variable is a switch, given without a value (`--insecure`); docs/configuration.md's table says so too. */
export function isSwitch(key: ConfigKey): boolean {
  return SETTINGS[key].env === null && SETTINGS[key].flag !== null
}

function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const key of CONFIG_KEYS) {
    const { flag } = SETTINGS[key]
    if (flag !== null) options[flag] = { type: isSwitch(key) ? 'boolean' : 'string' }
  }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (error) {
    // parseArgs names the offending flag in its message (`Unknown option '--prot'`).
    throw new ConfigInvalidError(error instanceof Error ? error.message : String(error), { cause: error })
  }
}
