/** docs/agent.md and docs/benchmarks.md: the agent's idle footprint, from bench/results/agent.json. */
import { z } from 'zod'
import { fromResults } from '../block.js'
import { significant, table } from '../format.js'

const AgentResults = z.object({
  date: z.string(),
  machine: z.object({ cpus: z.number(), cpuModel: z.string(), node: z.string() }),
  settings: z.object({
    durationMs: z.number(),
    intervalMs: z.number(),
    gpus: z.number(),
    nvidiaSmi: z.string(),
  }),
  results: z.object({
    agent: z.object({
      medianRssMiB: z.number(),
      maxRssMiB: z.number(),
      cpuPctOfOneCore: z.number(),
      targets: z.object({ maxRssMiB: z.number(), cpuPctOfOneCore: z.number() }),
    }),
    liveQuery: z.object({ perSampleCpuMs: z.number(), lmsLoopCpuMsPerSample: z.number() }),
  }),
})

export default fromResults('agent.json', AgentResults, ({ date, machine, settings, results }) => {
  const { agent, liveQuery } = results
  return [
    table(
      ['measure', 'result', 'budget'],
      [
        [
          'RSS, median / max',
          `${significant(agent.medianRssMiB)} / ${significant(agent.maxRssMiB)} MiB`,
          `${agent.targets.maxRssMiB} MiB max`,
        ],
        [
          'CPU, incl. the nvidia-smi child',
          `${significant(agent.cpuPctOfOneCore)} % of one core`,
          `${agent.targets.cpuPctOfOneCore} %`,
        ],
        [
          'live GPU values, one nvidia-smi per sample',
          `${significant(liveQuery.perSampleCpuMs)} ms CPU per sample`,
          '',
        ],
        [
          'live GPU values, one `-lms` child',
          `${significant(liveQuery.lmsLoopCpuMsPerSample)} ms CPU per sample`,
          '',
        ],
      ],
      'lrr',
    ),
    '',
    `One run of ${settings.durationMs / 1000} s at a ${settings.intervalMs} ms interval with ${settings.gpus} fake GPUs (${settings.nvidiaSmi}), ${date.slice(0, 10)}, on ${machine.cpus} × ${machine.cpuModel} (Node ${machine.node}).`,
  ].join('\n')
})
