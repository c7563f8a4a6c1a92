/** The machine a result ran on, as the results files record it, in one phrase. */
import { z } from 'zod'

export const Machine = z.object({
  cpus: z.number().optional(),
  cores: z.number().optional(),
  cpuModel: z.string().optional(),
  cpu: z.string().optional(),
  node: z.string().optional(),
  loadAverage1m: z.number().optional(),
})

/** `2 × AMD EPYC, Node v20.20.2, load average 13.5 (1 min)`. */
export function describeMachine(machine: z.output<typeof Machine>): string {
  const cores = machine.cores ?? machine.cpus
  const model = machine.cpuModel ?? machine.cpu
  const cpu = [cores === undefined ? undefined : `${cores} ×`, model].filter(Boolean).join(' ')
  return [
    cpu,
    machine.node === undefined ? undefined : `Node ${machine.node}`,
    machine.loadAverage1m === undefined ? undefined : `load average ${machine.loadAverage1m} (1 min)`,
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(', ')
}

/** `` `a` = 1, `b` = "x" `` for a results file's settings object. */
export function describeSettings(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([key, value]) => `\`${key}\` = ${Array.isArray(value) ? value.join(', ') : JSON.stringify(value)}`)
    .join('; ')
}
