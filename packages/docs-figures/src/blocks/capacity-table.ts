/**
 * docs/benchmarks.md: the soak bench's capacity ramp, from bench/results/capacity.json. States the
 * settings and the machine the file records, and says plainly what it does not record.
 */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { grouped, significant, table } from '../format.js'
import { describeMachine, describeSettings, Machine } from '../machine.js'
import { Measured, showMeasured } from '../measured.js'

const Step = z.object({
  agents: z.number(),
  attempt: z.number().optional(),
  pushesPerS: Measured,
  p50Ms: Measured,
  p99Ms: Measured,
  p99MinMs: z.number().optional(),
  p99MaxMs: z.number().optional(),
  errors: z.number(),
  rssMiB: Measured,
  cpuPct: Measured,
  holds: z.boolean(),
})
const CapacityResults = z.object({
  machine: Machine,
  intervalMs: z.number(),
  p99TargetMs: z.number(),
  maxAgents: z.number(),
  isLowerBound: z.boolean().optional(),
  shortened: z.boolean().optional(),
  steps: z.array(Step),
  settings: z.record(z.string(), z.unknown()).optional(),
  at: z.string().optional(),
})

export default fromResults('capacity.json', CapacityResults, (results) => {
  const rows = results.steps.map((step) => [
    grouped(step.agents),
    showMeasured(step.pushesPerS, (n) => grouped(n)),
    showMeasured(step.p50Ms),
    p99Text(step),
    grouped(step.errors),
    `${showMeasured(step.cpuPct)} %`,
    `${showMeasured(step.rssMiB)} MiB`,
    step.holds ? 'yes' : 'no',
  ])
  return [
    headline(results),
    '',
    table(
      ['agents', 'pushes/s', 'push p50, ms', 'push p99, ms', 'errors', 'coordinator CPU', 'RSS', 'holds'],
      rows,
      'rrrrrrrl',
    ),
    '',
    [
      `${results.at === undefined ? 'Run' : `Run of ${results.at.slice(0, 10)}`} on ${describeMachine(results.machine)}, load generator on the same cores.`,
      results.shortened === true ? ' A shortened run.' : '',
      ` ${settingsSentence(results.settings)}`,
    ].join(''),
  ].join('\n')
})

function headline(results: z.output<typeof CapacityResults>): string {
  const rule = `a step holds while push p99 ≤ ${results.p99TargetMs} ms, every push is answered and the event loop keeps up`
  if (results.maxAgents === 0) {
    return `No step held at a ${grouped(results.intervalMs)} ms push interval (${rule}).`
  }
  const atLeast = results.isLowerBound === true ? 'at least ' : ''
  return `Most agents held: **${atLeast}${grouped(results.maxAgents)}** at a ${grouped(results.intervalMs)} ms push interval (${rule}).`
}

/** The step's p99, with the spread over its attempts when the file has it. */
function p99Text(step: z.output<typeof Step>): string {
  if (step.p99MinMs === undefined || step.p99MaxMs === undefined || typeof step.p99Ms !== 'number') {
    return showMeasured(step.p99Ms)
  }
  return `${significant(step.p99Ms)} (${significant(step.p99MinMs)}–${significant(step.p99MaxMs)})`
}

function settingsSentence(settings: Record<string, unknown> | undefined): string {
  if (settings === undefined) {
    return "The file does not record the settings the ramp ran with (tries per step, the coordinator's `MAX_NODES`, step length), nor whether a step's figures are one try or a summary of several."
  }
  return `Settings: ${describeSettings(settings)}.`
}
