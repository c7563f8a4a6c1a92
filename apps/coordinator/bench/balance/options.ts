/**
 * The command line of `pnpm bench:balance`, checked before any run starts: a bad setting is named in
 * one line (and the bench exits 2), never found by a worker minutes in.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { COMPARED_ROUTERS, QUEUED_DEFAULT } from './compared-routers.js'
import { WORKLOADS, type WorkloadName } from './world/workloads.js'

export const ALL_LOADS = [0.3, 0.5, 0.7, 0.85, 0.95] as const
export const BASE_SEED = 20_261_129
/**
 * Requests per run. At high load a run of 1 000 spanned under a minute of chat traffic and little more
 * than agentic's longest answers, so a throttle window lasted seconds and p95 rested on ~45 requests.
 * 3 000 keeps the full run within the bench's 10 minutes on a 2-core machine with room to spare (about
 * 6 minutes here); 4 000 would take about 8.
 */
export const DEFAULT_REQUESTS = 3000

export interface BalanceOptions {
  readonly requests: number
  readonly seeds: readonly number[]
  readonly workers: number
  readonly workloads: readonly WorkloadName[]
  readonly strategies: readonly string[]
  readonly loads: readonly number[]
  readonly write: boolean
  /** Every workload, load and router on the published seeds, at full length: the run writes its results. */
  readonly isFull: boolean
}

/** The options of `argv`, or the first bad one in words. */
export function readOptions(argv: readonly string[]): BalanceOptions | { readonly error: string } {
  let values: Values
  try {
    values = parse(argv).values
  } catch (error) {
    return { error: (error as Error).message }
  }
  const options: Parsed = {
    requests: Number(values.requests),
    seedCount: Number(values.seeds),
    firstSeed: Number(values['first-seed']),
    workers: Number(values.workers),
    loads: values.loads === undefined ? [...ALL_LOADS] : values.loads.split(',').map(Number),
    workloads: values.workloads?.split(',') ?? [...WORKLOADS],
    strategies: values.strategies?.split(',') ?? ROUTER_NAMES,
  }
  const error = firstError(options, values)
  if (error !== undefined) return { error }
  const { seedCount, firstSeed, ...settings } = options
  return {
    ...settings,
    seeds: Array.from({ length: seedCount }, (_, index) => firstSeed + index),
    workloads: options.workloads as WorkloadName[],
    write: values.write,
    isFull:
      values.loads === undefined &&
      values.workloads === undefined &&
      values.strategies === undefined &&
      seedCount >= 5 &&
      firstSeed === BASE_SEED &&
      settings.requests >= DEFAULT_REQUESTS,
  }
}

const ROUTER_NAMES = COMPARED_ROUTERS.map((router) => router.name)
/** Also runnable by name, never by default: variants of the default under study. */
const KNOWN_NAMES = [...ROUTER_NAMES, QUEUED_DEFAULT.name]

type Values = ReturnType<typeof parse>['values']

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      requests: { type: 'string', default: String(DEFAULT_REQUESTS) },
      seeds: { type: 'string', default: '5' },
      'first-seed': { type: 'string', default: String(BASE_SEED) },
      workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      workloads: { type: 'string' },
      strategies: { type: 'string' },
      loads: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  })
}

/** The settings as numbers and lists, before they are checked. */
interface Parsed {
  readonly requests: number
  readonly seedCount: number
  readonly firstSeed: number
  readonly workers: number
  readonly loads: readonly number[]
  readonly workloads: readonly string[]
  readonly strategies: readonly string[]
}

/** The first setting that is out of range or names nothing known, in words; undefined if none. */
function firstError(o: Parsed, values: Values): string | undefined {
  const workload = o.workloads.find((name) => !(WORKLOADS as readonly string[]).includes(name))
  const router = o.strategies.find((name) => !KNOWN_NAMES.includes(name))
  const checks: readonly (readonly [boolean, () => string])[] = [
    [
      !Number.isInteger(o.requests) || o.requests < 200,
      () => `--requests must be an integer ≥ 200, got "${values.requests}"`,
    ],
    [
      !Number.isInteger(o.seedCount) || o.seedCount < 1,
      () => `--seeds must be a positive integer, got "${values.seeds}"`,
    ],
    [!Number.isInteger(o.firstSeed), () => `--first-seed must be an integer, got "${values['first-seed']}"`],
    [
      !Number.isInteger(o.workers) || o.workers < 1,
      () => `--workers must be a positive integer, got "${values.workers}"`,
    ],
    [
      o.loads.some((load) => !(load > 0 && load < 1)),
      () => `--loads must be fractions between 0 and 1, got "${values.loads}"`,
    ],
    [workload !== undefined, () => `--workloads: no workload "${workload}" (${WORKLOADS.join(', ')})`],
    [router !== undefined, () => `--strategies: no router "${router}" (${ROUTER_NAMES.join(', ')})`],
  ]
  return checks.find(([isBad]) => isBad)?.[1]()
}
