/** docs/benchmarks.md: the proxy overhead table and ratios, from bench/results/proxy.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'
import { showMeasured } from '../measured.js'

const Load = z.object({ requestsPerS: z.number(), p50Ms: z.number(), p99Ms: z.number(), errors: z.number() })
/** Every measured round's figure, in round order: where the medians' spread comes from. */
const Rounds = z.object({
  requestsPerS: z.array(z.number()),
  fixedRateP99Ms: z.array(z.number()),
  chunksPerS: z.array(z.number()),
  cpuUsPerRequest: z.array(z.number().nullable()),
})
const ProxyResults = z.object({
  date: z.string(),
  machine: z.object({ cpus: z.number(), cpuModel: z.string(), node: z.string() }),
  settings: z.object({
    rounds: z.number(),
    closedLoopConnections: z.number(),
    fixedRatePerS: z.number(),
    streamConcurrency: z.number(),
  }),
  results: z.array(
    z.object({
      target: z.string(),
      proxyCpuUsPerRequest: z.number().nullable(),
      proxyCpuUsPerChunk: z.number().nullable(),
      closedLoop: Load,
      fixedRate: Load,
      stream: z.object({ chunksPerS: z.number() }),
      rounds: Rounds.optional(),
    }),
  ),
  ratios: z.object({
    coordinatorVsReplyFromThroughput: z.number(),
    coordinatorVsReplyFromChunks: z.number(),
    coordinatorVsReplyFromCpuEfficiency: z.number(),
    coordinatorAddedP99MsAt1000: z.number(),
    coordinatorVsNginxCpuPerRequest: z.number().optional(),
  }),
})

const ms = (value: number) => significant(value)

/** A median with the min–max of the rounds it is the median of, when the results keep them. */
function spread(median: number, rounds: readonly (number | null)[] | undefined, show: (n: number) => string) {
  const values = (rounds ?? []).filter((value) => value !== null)
  if (values.length === 0) return show(median)
  return showMeasured({ median, min: Math.min(...values), max: Math.max(...values) }, show)
}

/** Round by round, `a`'s figure combined with `b`'s of the same round (interleaved rounds pair up). */
function perRound(
  a: readonly (number | null)[] | undefined,
  b: readonly (number | null)[] | undefined,
  combine: (a: number, b: number) => number,
): number[] {
  if (a === undefined || b === undefined) return []
  return a.flatMap((value, index) => {
    const other = b[index]
    return value === null || other === null || other === undefined ? [] : [combine(value, other)]
  })
}

/** Issue 4's targets for the proxy, as apps/coordinator/bench/proxy.bench.ts checks them. */
const THROUGHPUT_TARGET = 0.9
const ADDED_P99_TARGET_MS = 2
const metOrNot = (isMet: boolean) => (isMet ? 'met' : 'not met')

export default fromResults('proxy.json', ProxyResults, ({ date, machine, settings, results, ratios }) => {
  const direct = results.find((row) => row.target === 'direct')
  const rows = results.map((row) => [
    row.target,
    spread(row.closedLoop.requestsPerS, row.rounds?.requestsPerS, (n) => grouped(n)),
    `${ms(row.closedLoop.p50Ms)} / ${ms(row.closedLoop.p99Ms)} ms`,
    `${ms(row.fixedRate.p50Ms)} / ${ms(row.fixedRate.p99Ms)} ms`,
    direct === undefined || row === direct ? '' : `${ms(row.fixedRate.p99Ms - direct.fixedRate.p99Ms)} ms`,
    spread(row.stream.chunksPerS, row.rounds?.chunksPerS, (n) => grouped(n)),
    row.proxyCpuUsPerRequest === null
      ? ''
      : `${spread(row.proxyCpuUsPerRequest, row.rounds?.cpuUsPerRequest, significant)} µs`,
    row.proxyCpuUsPerChunk === null ? '' : `${significant(row.proxyCpuUsPerChunk)} µs`,
  ])
  const coordinator = results.find((row) => row.target === 'coordinator')?.rounds
  const replyFrom = results.find((row) => row.target === 'reply-from')?.rounds
  const throughputRounds = perRound(coordinator?.requestsPerS, replyFrom?.requestsPerS, (c, r) => c / r)
  const chunkRounds = perRound(coordinator?.chunksPerS, replyFrom?.chunksPerS, (c, r) => c / r)
  const cpuRounds = perRound(replyFrom?.cpuUsPerRequest, coordinator?.cpuUsPerRequest, (r, c) => r / c)
  const addedRounds = perRound(coordinator?.fixedRateP99Ms, direct?.rounds?.fixedRateP99Ms, (c, d) => c - d)
  const ratio = (n: number) => n.toFixed(2)
  const nginx =
    ratios.coordinatorVsNginxCpuPerRequest === undefined
      ? ''
      : `; the coordinator needs ${significant(ratios.coordinatorVsNginxCpuPerRequest)} times nginx's CPU per request`
  return [
    table(
      [
        '',
        'req/s',
        'p50 / p99',
        `at ${grouped(settings.fixedRatePerS)} req/s: p50 / p99`,
        'added p99',
        'stream chunks/s',
        'CPU per request',
        'CPU per chunk',
      ],
      rows,
      'lrrrrrrr',
    ),
    '',
    `Issue 4's targets: at least ${THROUGHPUT_TARGET} × reply-from's requests/s, ${metOrNot(ratios.coordinatorVsReplyFromThroughput >= THROUGHPUT_TARGET)}; an added p99 under ${ADDED_P99_TARGET_MS} ms at ${grouped(settings.fixedRatePerS)} req/s, ${metOrNot(ratios.coordinatorAddedP99MsAt1000 < ADDED_P99_TARGET_MS)}.`,
    '',
    `Coordinator ÷ reply-from: ${spread(ratios.coordinatorVsReplyFromThroughput, throughputRounds, ratio)} in requests/s, ${spread(ratios.coordinatorVsReplyFromChunks, chunkRounds, ratio)} in stream chunks/s; reply-from needs ${spread(ratios.coordinatorVsReplyFromCpuEfficiency, cpuRounds, ratio)} of the coordinator's CPU per request${nginx}. Added p99 at ${grouped(settings.fixedRatePerS)} req/s: ${spread(ratios.coordinatorAddedP99MsAt1000, addedRounds, ms)} ms.`,
    '',
    `Run of ${date.slice(0, 10)} on ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}), medians of ${settings.rounds} interleaved rounds (in parentheses, the lowest and highest round; for a ratio, of the rounds paired), ${settings.closedLoopConnections} connections in the closed loop, ${settings.streamConcurrency} concurrent streams.`,
  ].join('\n')
})
