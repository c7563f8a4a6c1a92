/** docs/benchmarks.md: the 10-minute push soak and the concurrent-streams run, from bench/results/soak.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'

const SoakResults = z.object({
  machine: z.object({ cpus: z.number(), cpuModel: z.string(), node: z.string() }),
  streams: z.object({
    streams: z.number(),
    ok: z.number(),
    lost: z.number(),
    'mixed-up': z.number(),
    baselineMiB: z.number(),
    peakMiB: z.number(),
    perStreamKiB: z.number(),
  }),
  push: z.object({
    agents: z.number(),
    intervalMs: z.number(),
    minutes: z.number(),
    pushesPerS: z.number(),
    pushErrors: z.number(),
    pushP50Ms: z.number(),
    pushP99Ms: z.number(),
    endLagMs: z.number(),
    rssFirstMinuteMiB: z.number(),
    rssLastMinuteMiB: z.number(),
    backgroundStreams: z.object({ ok: z.number(), lost: z.number(), 'mixed-up': z.number() }),
  }),
})

export default fromResults('soak.json', SoakResults, ({ machine, streams, push }) => {
  const background = push.backgroundStreams
  return [
    table(
      ['run', 'result'],
      [
        [
          `${grouped(push.agents)} agents pushing every ${grouped(push.intervalMs)} ms for ${push.minutes} minutes, beside streams in flight`,
          `${grouped(push.pushesPerS)} pushes/s, ${grouped(push.pushErrors)} errors; push p50 ${significant(push.pushP50Ms)} ms, p99 ${significant(push.pushP99Ms)} ms; event-loop lag at the end ${significant(push.endLagMs)} ms; RSS ${significant(push.rssFirstMinuteMiB)} MiB over the first minute, ${significant(push.rssLastMinuteMiB)} MiB over the last; ${grouped(background.ok)} background streams complete, ${background.lost} lost, ${background['mixed-up']} mixed up`,
        ],
        [
          `${grouped(streams.streams)} concurrent streams`,
          `${grouped(streams.ok)} complete, ${streams.lost} lost, ${streams['mixed-up']} mixed up; RSS ${significant(streams.baselineMiB)} → ${significant(streams.peakMiB)} MiB, about ${significant(streams.perStreamKiB)} KiB per open stream`,
        ],
      ],
    ),
    '',
    `On ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}), load generator and mock runtimes on the same cores.`,
  ].join('\n')
})
