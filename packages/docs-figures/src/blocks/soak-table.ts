/** docs/benchmarks.md: the push soak and the concurrent-streams run, from bench/results/soak.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'
import { describeMachine, describeSettings, Machine } from '../machine.js'

const Outcome = z.object({ ok: z.number(), lost: z.number(), 'mixed-up': z.number() })
const Phase = {
  settings: z.record(z.string(), z.unknown()).optional(),
  shortened: z.boolean().optional(),
  machine: Machine.optional(),
  at: z.string().optional(),
}
const PhaseSchema = z.object(Phase)
type PhaseFields = z.output<typeof PhaseSchema>

const SoakResults = z.object({
  machine: Machine,
  streams: z.object({
    ...Phase,
    streams: z.number(),
    ok: z.number(),
    lost: z.number(),
    'mixed-up': z.number(),
    baselineMiB: z.number(),
    peakMiB: z.number(),
    perStreamKiB: z.number(),
  }),
  push: z.object({
    ...Phase,
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
    backgroundStreams: Outcome,
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
          `${grouped(push.pushesPerS)} pushes/s, ${grouped(push.pushErrors)} errors; push p50 ${significant(push.pushP50Ms)} ms, p99 ${significant(push.pushP99Ms)} ms; event-loop lag at the end ${significant(push.endLagMs)} ms; RSS ${significant(push.rssFirstMinuteMiB)} MiB over the first minute, ${significant(push.rssLastMinuteMiB)} MiB over the last; background streams ${grouped(background.ok)} complete, ${grouped(background.lost)} lost, ${background['mixed-up']} mixed up`,
        ],
        [
          `${grouped(streams.streams)} concurrent streams`,
          `${grouped(streams.ok)} complete, ${grouped(streams.lost)} lost, ${streams['mixed-up']} mixed up; RSS ${significant(streams.baselineMiB)} → ${significant(streams.peakMiB)} MiB, about ${significant(streams.perStreamKiB)} KiB per open stream`,
        ],
      ],
    ),
    '',
    `Push soak: ${phaseNote(push, machine)} Streams: ${phaseNote(streams, machine)} Load generator and mock runtimes ran on the same cores.`,
  ].join('\n')
})

function phaseNote(phase: PhaseFields, fallback: z.output<typeof Machine>): string {
  const when = phase.at === undefined ? '' : ` of ${phase.at.slice(0, 10)}`
  const shortened = phase.shortened === true ? ', shortened' : ''
  const settings =
    phase.settings === undefined ? ' (settings not recorded)' : ` with ${describeSettings(phase.settings)}`
  return `run${when}${shortened} on ${describeMachine(phase.machine ?? fallback)}${settings}.`
}
