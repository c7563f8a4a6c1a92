/**
 * docs/benchmarks.md: the soak bench's capacity ramp, from bench/results/capacity.json. States the
 * settings the file records, and says plainly which ones it does not.
 */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, table } from '../format.js'
import { Measured, showMeasured } from '../measured.js'

const Step = z.object({
  agents: z.number(),
  attempt: z.number().optional(),
  pushesPerS: Measured,
  p50Ms: Measured,
  p99Ms: Measured,
  errors: z.number(),
  rssMiB: Measured,
  cpuPct: Measured,
  holds: z.boolean(),
})
const CapacityResults = z.object({
  machine: z.object({ cpus: z.number(), cpuModel: z.string(), node: z.string() }),
  intervalMs: z.number(),
  p99TargetMs: z.number(),
  maxAgents: z.number(),
  steps: z.array(Step),
  settings: z.record(z.string(), z.unknown()).optional(),
  at: z.string().optional(),
})

export default fromResults('capacity.json', CapacityResults, (results) => {
  const rows = results.steps.map((step) => [
    grouped(step.agents),
    showMeasured(step.pushesPerS, (n) => grouped(n)),
    `${showMeasured(step.p50Ms)} / ${showMeasured(step.p99Ms)} ms`,
    grouped(step.errors),
    `${showMeasured(step.cpuPct)} %`,
    `${showMeasured(step.rssMiB)} MiB`,
    step.attempt === undefined ? '' : String(step.attempt),
    step.holds ? 'yes' : 'no',
  ])
  const { machine } = results
  return [
    `Most agents held: **${grouped(results.maxAgents)}** at a ${grouped(results.intervalMs)} ms push interval (a step holds while push p99 ≤ ${results.p99TargetMs} ms, every push is answered and the event loop keeps up).`,
    '',
    table(
      ['agents', 'pushes/s', 'push p50 / p99', 'errors', 'coordinator CPU', 'RSS', 'try', 'holds'],
      rows,
      'rrrrrrrl',
    ),
    '',
    `${results.at === undefined ? 'Run' : `Run of ${results.at.slice(0, 10)}`} on ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}), load generator on the same cores. ${settingsSentence(results.settings)}`,
  ].join('\n')
})

function settingsSentence(settings: Record<string, unknown> | undefined): string {
  if (settings === undefined) {
    return 'The file does not record the settings the ramp ran with (tries per step, the coordinator\'s `MAX_NODES`, step length), nor whether a step\'s figures are one try or a summary of several; "try" is the try whose figures are shown.'
  }
  const listed = Object.entries(settings).map(([key, value]) => `\`${key}\` = ${JSON.stringify(value)}`)
  return `Settings: ${listed.join(', ')}.`
}
