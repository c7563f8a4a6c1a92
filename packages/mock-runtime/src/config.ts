/** The CLI's settings: flags override env, env overrides defaults; every value validated by zod. */

import { parseArgs } from 'node:util'
import { BearerToken, formatZodIssues, readSettingValue } from '@llm-fleet/types'
import { z } from 'zod'
import { FAULT_MODES } from './fault-state.js'
import { PROFILE_IDS } from './profiles.js'
import { RUNTIME_KINDS } from './runtime-context.js'
import { SERVER_FLAVORS } from './server-flavor.js'

const DEFAULT_PORT = { ollama: 11434, openai: 8000 } as const

/** Settings, each with the flag and env var that set it. */
export const ConfigSchema = z.strictObject({
  /** `--kind` / `MOCK_RUNTIME_KIND`: `ollama` (native + `/v1`) or `openai` (like vLLM). */
  kind: z.enum(RUNTIME_KINDS).default('ollama'),
  /** `--profile` / `MOCK_RUNTIME_PROFILE`: GPU speed profile id. */
  profile: z.enum(PROFILE_IDS).default('a100'),
  /** `--port` / `MOCK_RUNTIME_PORT`: 0 picks a free port; 11434 (ollama) or 8000 (openai) by default. */
  port: z.coerce.number().int().min(0).max(65535).optional(),
  /** `--host` / `MOCK_RUNTIME_HOST`: address to listen on. */
  host: z.string().min(1).default('127.0.0.1'),
  /** `--models` / `MOCK_RUNTIME_MODELS`: comma-separated model names. */
  models: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((model) => model.trim())
        .filter((model) => model !== ''),
    )
    .pipe(z.array(z.string()).min(1))
    .default(['llama3.1:8b']),
  /** `--speed-scale` / `SPEED_SCALE`: multiplies every speed. */
  speedScale: z.coerce.number().positive().max(1_000_000).default(1),
  /** `--name` / `MOCK_RUNTIME_NAME`: the `X-Mock-Runtime` header value. */
  name: z.string().min(1).optional(),
  /** `--fault` / `MOCK_RUNTIME_FAULT`: fault to start with. */
  fault: z.enum(FAULT_MODES).default('ok'),
  /** `--fault-after-chunks` / `MOCK_RUNTIME_FAULT_AFTER_CHUNKS`: tokens sent before the fault strikes (`die-mid-stream` 1, `stall` 0 by default). */
  faultAfterChunks: z.coerce.number().int().min(0).optional(),
  /** `--fault-count` / `MOCK_RUNTIME_FAULT_COUNT`: API requests the fault applies to; unset = every one. */
  faultCount: z.coerce.number().int().min(1).optional(),
  /** `--control-port` / `MOCK_RUNTIME_CONTROL_PORT`: separate port for `/_mock/*` (0 picks one). */
  controlPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** `--server` / `MOCK_RUNTIME_SERVER`: for `openai`, the server imitated (metrics names, auth). */
  server: z.enum(SERVER_FLAVORS).default('vllm'),
  /** `--api-key` / `MOCK_RUNTIME_API_KEY`: demand this bearer key, as `--api-key` does (openai kind). */
  apiKey: BearerToken.optional(),
})
export type Config = Readonly<Omit<z.infer<typeof ConfigSchema>, 'port'> & { port: number }>

export const SETTINGS = {
  kind: { flag: 'kind', env: 'MOCK_RUNTIME_KIND' },
  profile: { flag: 'profile', env: 'MOCK_RUNTIME_PROFILE' },
  port: { flag: 'port', env: 'MOCK_RUNTIME_PORT' },
  host: { flag: 'host', env: 'MOCK_RUNTIME_HOST' },
  models: { flag: 'models', env: 'MOCK_RUNTIME_MODELS' },
  speedScale: { flag: 'speed-scale', env: 'SPEED_SCALE' },
  name: { flag: 'name', env: 'MOCK_RUNTIME_NAME' },
  fault: { flag: 'fault', env: 'MOCK_RUNTIME_FAULT' },
  faultAfterChunks: { flag: 'fault-after-chunks', env: 'MOCK_RUNTIME_FAULT_AFTER_CHUNKS' },
  faultCount: { flag: 'fault-count', env: 'MOCK_RUNTIME_FAULT_COUNT' },
  controlPort: { flag: 'control-port', env: 'MOCK_RUNTIME_CONTROL_PORT' },
  server: { flag: 'server', env: 'MOCK_RUNTIME_SERVER' },
  apiKey: { flag: 'api-key', env: 'MOCK_RUNTIME_API_KEY' },
} as const satisfies Record<keyof z.infer<typeof ConfigSchema>, { flag: string; env: string }>

type SettingKey = keyof typeof SETTINGS

export const HELP = `Usage: llm-fleet-mock-runtime [options]

A simulated LLM runtime (Ollama or OpenAI/vLLM API) with a GPU speed profile and fault injection.

Options (each also read from the env var shown):
  --kind <ollama|openai>        API family (MOCK_RUNTIME_KIND, default ollama)
  --profile <id>                ${PROFILE_IDS.join(', ')} (MOCK_RUNTIME_PROFILE, default a100)
  --port <n>                    0 = any free port (MOCK_RUNTIME_PORT, default 11434 ollama / 8000 openai)
  --host <addr>                 (MOCK_RUNTIME_HOST, default 127.0.0.1)
  --models <a,b>                served models (MOCK_RUNTIME_MODELS, default llama3.1:8b)
  --speed-scale <x>             multiplies every speed (SPEED_SCALE, default 1)
  --name <name>                 X-Mock-Runtime header (MOCK_RUNTIME_NAME, default <profile>-<port>)
  --fault <mode>                ${FAULT_MODES.join(', ')} (MOCK_RUNTIME_FAULT, default ok)
  --fault-after-chunks <n>      (MOCK_RUNTIME_FAULT_AFTER_CHUNKS)
  --fault-count <n>             (MOCK_RUNTIME_FAULT_COUNT, default unlimited)
  --control-port <n>            also serve /_mock/* here (MOCK_RUNTIME_CONTROL_PORT)
  --server <${SERVER_FLAVORS.join('|')}>  openai kind: the server imitated (MOCK_RUNTIME_SERVER, default vllm)
  --api-key <key>               demand this bearer key, openai kind (MOCK_RUNTIME_API_KEY)
  --help                        print this help
`

/** The outcome of reading the settings. */
export type ConfigResult =
  | { kind: 'ok'; config: Config }
  | { kind: 'help' }
  | { kind: 'invalid'; problems: string[] }

/** Reads the settings from `argv` (without node and script) and `env`. Pure: no process access. */
export function loadConfig(input: {
  argv: readonly string[]
  env: Readonly<Record<string, string | undefined>>
}): ConfigResult {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = { help: { type: 'boolean' } }
  for (const setting of Object.values(SETTINGS)) options[setting.flag] = { type: 'string' }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...input.argv], options, strict: true, allowPositionals: false })
  } catch (error) {
    // parseArgs names the unknown or malformed flag in its message: that is the user's answer.
    return { kind: 'invalid', problems: [(error as Error).message] }
  }
  if (parsed.values.help === true) return { kind: 'help' }

  const raw: Record<string, string | boolean> = {}
  const problems: string[] = []
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const read = readSettingValue(setting.flag, parsed.values, input.env[setting.env])
    if (read.from === 'blank-flag') problems.push(read.problem)
    else if (read.from !== 'unset') raw[key] = read.value
  }
  if (problems.length > 0) return { kind: 'invalid', problems }
  const result = ConfigSchema.safeParse(raw)
  if (!result.success) {
    return {
      kind: 'invalid',
      problems: formatZodIssues(result.error, (key) => {
        const setting = SETTINGS[key as SettingKey]
        return setting === undefined ? key : `--${setting.flag} (${setting.env})`
      }),
    }
  }
  const config = result.data
  return { kind: 'ok', config: { ...config, port: config.port ?? DEFAULT_PORT[config.kind] } }
}
