/**
 * docs/agent.md and docs/benchmarks.md: the agent's idle footprint, from bench/results/agent.json.
 * Every figure is a median over runs with its min–max (`{ median, min, max }`). The CPU budget is
 * judged on the agent process alone: it is meant for the agent with the real C nvidia-smi, while the
 * bench runs a Node.js stand-in whose children's CPU would swamp the agent's own.
 */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { significant, table } from '../format.js'

const Spread = z.object({ median: z.number(), min: z.number(), max: z.number() })
type Spread = z.output<typeof Spread>

const AgentResults = z.object({
  date: z.string(),
  machine: z.object({
    cpus: z.number(),
    cpuModel: z.string(),
    node: z.string(),
    loadAvg1: z.object({ before: z.number(), after: z.number() }).optional(),
  }),
  settings: z.object({
    runs: z.number(),
    durationMs: z.number(),
    intervalMs: z.number(),
    gpus: z.number(),
    nvidiaSmi: z.string(),
  }),
  results: z.object({
    agent: z.object({
      medianRssMiB: Spread,
      maxRssMiB: Spread,
      agentCpuPct: Spread,
      nvidiaSmiCpuPct: Spread,
      totalCpuPct: Spread,
      targets: z.object({ maxRssMiB: z.number(), agentCpuPct: z.number() }),
    }),
    liveQuery: z.object({ perSampleCpuMs: Spread, lmsLoopCpuMsPerSample: Spread }),
  }),
})
type AgentResults = z.output<typeof AgentResults>

/** `72.8 [70.1–75]`: the median and the min–max over runs. */
const spread = ({ median, min, max }: Spread) =>
  `${significant(median)} [${significant(min)}–${significant(max)}]`

export default fromResults('agent.json', AgentResults, (results) =>
  [footprintTable(results), '', method(results), '', verdict(results)].join('\n'),
)

function footprintTable({ results: { agent, liveQuery } }: AgentResults): string {
  return table(
    ['measure', 'median [min–max]', 'budget'],
    [
      ['RSS, median of 1 s samples', `${spread(agent.medianRssMiB)} MiB`, ''],
      ['RSS, max', `${spread(agent.maxRssMiB)} MiB`, `${agent.targets.maxRssMiB} MiB`],
      [
        'CPU, agent process alone',
        `${spread(agent.agentCpuPct)} % of one core`,
        `${agent.targets.agentCpuPct} %`,
      ],
      ['CPU, stand-in nvidia-smi children', `${spread(agent.nvidiaSmiCpuPct)} % of one core`, 'not budgeted'],
      ['CPU, agent and children', `${spread(agent.totalCpuPct)} % of one core`, ''],
      [
        'live GPU values, one nvidia-smi per sample',
        `${spread(liveQuery.perSampleCpuMs)} ms CPU per sample`,
        '',
      ],
      [
        'live GPU values, one `-lms` child',
        `${spread(liveQuery.lmsLoopCpuMsPerSample)} ms CPU per sample`,
        '',
      ],
    ],
    'lrr',
  )
}

function method({ date, machine, settings }: AgentResults): string {
  const load =
    machine.loadAvg1 === undefined
      ? ''
      : ` The machine was shared with other work (1-minute load ${significant(machine.loadAvg1.before)} before, ${significant(machine.loadAvg1.after)} after, on ${machine.cpus} cores).`
  return [
    `${settings.runs} runs of ${settings.durationMs / 1000} s each at a ${settings.intervalMs} ms interval with ${settings.gpus} fake GPUs (${settings.nvidiaSmi}), ${date.slice(0, 10)}, on ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}).${load}`,
    'The budget is for the agent with the real nvidia-smi, a C program, which needs a GPU and cannot run here; the stand-in is a Node.js process, far heavier per call,',
    "so the CPU budget is judged on the agent process alone and the stand-in children's share is shown beside it, not judged.",
    'The two live-GPU-value rows are measured on the stand-in too.',
  ].join(' ')
}

/** Met or missed, judged on the medians; a run past the budget is named even when the median is under. */
function verdict({ results: { agent } }: AgentResults): string {
  const judge = (name: string, figure: Spread, budget: number, unit: string) => {
    if (figure.median >= budget)
      return `The ${name} misses its budget: ${significant(figure.median)} ${unit} against ${budget} ${unit}.`
    if (figure.max >= budget)
      return `The ${name} is within its budget in the median, but one run reached ${significant(figure.max)} ${unit} (budget ${budget} ${unit}).`
    return `The ${name} is within its budget (${budget} ${unit}).`
  }
  return [
    judge('maximum RSS', agent.maxRssMiB, agent.targets.maxRssMiB, 'MiB'),
    judge('CPU of the agent alone', agent.agentCpuPct, agent.targets.agentCpuPct, '%'),
  ].join(' ')
}
