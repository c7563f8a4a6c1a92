/**
 * PURE: nvidia-smi's command line, for the forms the stand-in answers: `-q -x`, `-L`,
 * `--query-gpu=<fields> --format=csv[,noheader][,nounits]`, each optionally repeated with `-l <s>` /
 * `-lms <ms>` (also `--loop=`, `--loop-ms=`, and the value as the next argument).
 */
import type { CsvFormat } from './format-csv.js'

export type Invocation =
  | { readonly kind: 'xml'; readonly loopMs: number | null }
  | { readonly kind: 'list'; readonly loopMs: number | null }
  | {
      readonly kind: 'query'
      readonly fields: readonly string[]
      readonly format: CsvFormat
      readonly loopMs: number | null
    }

/** A command line nvidia-smi would reject (exit 2), or one the stand-in does not emulate. */
export class UsageError extends Error {}

/** nvidia-smi's own default for a bare `-l`. */
const DEFAULT_LOOP_SECONDS = 5

interface Flags {
  query: boolean
  xml: boolean
  list: boolean
  queryGpu: string | undefined
  format: string | undefined
  loopMs: number | null
}

/** The longest period a timer can wait (setInterval fires at once beyond it). */
const MAX_PERIOD_MS = 2 ** 31 - 1

function parsePeriod(flag: string, raw: string | undefined, msPerUnit: number): number {
  const value = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} needs a positive number, got ${raw === undefined ? 'nothing' : `"${raw}"`}`)
  }
  if (value * msPerUnit > MAX_PERIOD_MS) {
    throw new UsageError(`${flag} must be at most ${Math.floor(MAX_PERIOD_MS / msPerUnit)}, got "${raw}"`)
  }
  return value * msPerUnit
}

/** `--name=value` or `--name value`: the value, and how many arguments it took. */
function optionValue(args: readonly string[], at: number, name: string): [string | undefined, number] {
  const arg = args[at] as string
  if (arg.startsWith(`${name}=`)) return [arg.slice(name.length + 1), 1]
  return [args[at + 1], 2]
}

function readFlags(args: readonly string[]): Flags {
  const flags: Flags = {
    query: false,
    xml: false,
    list: false,
    queryGpu: undefined,
    format: undefined,
    loopMs: null,
  }
  for (let at = 0; at < args.length; ) {
    const arg = args[at] as string
    const name = arg.split('=')[0] as string
    let used = 1
    if (arg === '-q' || arg === '--query') flags.query = true
    else if (arg === '-x' || arg === '--xml-format') flags.xml = true
    else if (arg === '-L' || arg === '--list-gpus') flags.list = true
    else if (name === '--query-gpu') [flags.queryGpu, used] = optionValue(args, at, name)
    else if (name === '--format') [flags.format, used] = optionValue(args, at, name)
    else if (name === '-l' || name === '--loop') {
      const next = args[at + 1]
      if (arg.includes('=')) flags.loopMs = parsePeriod(name, arg.slice(name.length + 1), 1000)
      else if (next !== undefined && /^\d/.test(next))
        [flags.loopMs, used] = [parsePeriod(name, next, 1000), 2]
      else flags.loopMs = DEFAULT_LOOP_SECONDS * 1000
    } else if (name === '-lms' || name === '--loop-ms') {
      const [raw, taken] = optionValue(args, at, name)
      ;[flags.loopMs, used] = [parsePeriod(name, raw, 1), taken]
    } else throw new UsageError(`${arg} is not emulated`)
    at += used
  }
  return flags
}

function parseFormat(raw: string | undefined): CsvFormat {
  const options = (raw ?? '').split(',').map((option) => option.trim())
  if (
    options[0] !== 'csv' ||
    options.slice(1).some((option) => option !== 'noheader' && option !== 'nounits')
  ) {
    throw new UsageError(`--format must be csv[,noheader][,nounits], got "${raw ?? ''}"`)
  }
  return { header: !options.includes('noheader'), units: !options.includes('nounits') }
}

/** @throws UsageError naming the argument that nvidia-smi (or the stand-in) does not accept. */
export function parseInvocation(args: readonly string[]): Invocation {
  const flags = readFlags(args)
  const { loopMs } = flags
  if (flags.queryGpu !== undefined) {
    const fields = flags.queryGpu.split(',').map((field) => field.trim())
    if (fields.some((field) => field === ''))
      throw new UsageError('--query-gpu needs a comma-separated field list')
    if (flags.format === undefined)
      throw new UsageError('--query-gpu needs --format=csv[,noheader][,nounits]')
    return { kind: 'query', fields, format: parseFormat(flags.format), loopMs }
  }
  if (flags.query && flags.xml) return { kind: 'xml', loopMs }
  if (flags.list) return { kind: 'list', loopMs }
  throw new UsageError('only -q -x, -L and --query-gpu=… --format=csv are emulated')
}
