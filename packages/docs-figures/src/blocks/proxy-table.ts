/** docs/benchmarks.md: the proxy overhead table and ratios, from bench/results/proxy.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'

const Load = z.object({ requestsPerS: z.number(), p50Ms: z.number(), p99Ms: z.number(), errors: z.number() })
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

/** Issue 4's targets for the proxy, as apps/coordinator/bench/proxy.bench.ts checks them. */
const THROUGHPUT_TARGET = 0.9
const ADDED_P99_TARGET_MS = 2
const metOrNot = (isMet: boolean) => (isMet ? 'met' : 'not met')

export default fromResults('proxy.json', ProxyResults, ({ date, machine, settings, results, ratios }) => {
  const direct = results.find((row) => row.target === 'direct')
  const rows = results.map((row) => [
    row.target,
    grouped(row.closedLoop.requestsPerS),
    `${ms(row.closedLoop.p50Ms)} / ${ms(row.closedLoop.p99Ms)} ms`,
    `${ms(row.fixedRate.p50Ms)} / ${ms(row.fixedRate.p99Ms)} ms`,
    direct === undefined || row === direct ? '' : `${ms(row.fixedRate.p99Ms - direct.fixedRate.p99Ms)} ms`,
    grouped(row.stream.chunksPerS),
    row.proxyCpuUsPerRequest === null ? '' : `${significant(row.proxyCpuUsPerRequest)} µs`,
    row.proxyCpuUsPerChunk === null ? '' : `${significant(row.proxyCpuUsPerChunk)} µs`,
  ])
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
    `Coordinator ÷ reply-from: ${ratios.coordinatorVsReplyFromThroughput.toFixed(2)} in requests/s, ${ratios.coordinatorVsReplyFromChunks.toFixed(2)} in stream chunks/s; reply-from needs ${ratios.coordinatorVsReplyFromCpuEfficiency.toFixed(2)} of the coordinator's CPU per request${nginx}. Added p99 at ${grouped(settings.fixedRatePerS)} req/s: ${ms(ratios.coordinatorAddedP99MsAt1000)} ms.`,
    '',
    `Run of ${date.slice(0, 10)} on ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}), medians of ${settings.rounds} interleaved rounds, ${settings.closedLoopConnections} connections in the closed loop, ${settings.streamConcurrency} concurrent streams.`,
  ].join('\n')
})
