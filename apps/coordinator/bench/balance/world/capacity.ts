/**
 * "Capacity" of the true world for one workload, in requests/s: the highest arrival rate of the
 * workload's model mix that the hosts present at the start can serve with every slot busy, no model
 * load and no prefix-cache hit, when each model's requests may be split over the units that can hold
 * it. Per unit and model: a slot turns over once per prefill + (output − 1) / (single-stream speed ×
 * slots^(α−1)), and one prefill runs at a time. Found by bisection over a greedy fluid assignment
 * (see `feasible`). Prefix caching makes real capacity larger and model loads make it smaller; the
 * same yardstick is used for every strategy.
 */
import { seededRandom } from '@llm-fleet/mock-runtime'
import { type HostSpec, pulledModels, unitsOf } from './fleet-spec.js'
import type { HiddenFactors } from './hidden.js'
import { unitSpeeds } from './host.js'
import { generateWorkload, type WorkloadName } from './workloads.js'

export interface ModelMix {
  readonly model: string
  readonly share: number
  readonly meanPrompt: number
  readonly meanOutput: number
}

const mixCache = new Map<WorkloadName, ModelMix[]>()

/** The workload's per-model shares and mean lengths, from a fixed calibration sample. */
export function workloadMix(name: WorkloadName): ModelMix[] {
  const cached = mixCache.get(name)
  if (cached !== undefined) return cached
  const sample = generateWorkload(name, seededRandom(0xca11b), 20, 600_000)
  const byModel = new Map<string, { count: number; prompt: number; output: number }>()
  for (const request of sample) {
    const entry = byModel.get(request.model) ?? { count: 0, prompt: 0, output: 0 }
    entry.count++
    entry.prompt += request.promptTokens
    entry.output += request.outputTokens
    byModel.set(request.model, entry)
  }
  const mix = [...byModel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([model, entry]) => ({
      model,
      share: entry.count / sample.length,
      meanPrompt: entry.prompt / entry.count,
      meanOutput: entry.output / entry.count,
    }))
  mixCache.set(name, mix)
  return mix
}

/** Unit-seconds of one unit per request of `model` at a full batch, and of its prefill stage. */
function unitCost(
  spec: HostSpec,
  factors: HiddenFactors,
  entry: ModelMix,
): { slotS: number; prefillS: number } {
  const speeds = unitSpeeds(spec, factors, entry.model)
  const perRequest = speeds.decodePerMs * spec.slotsPerUnit ** (factors.batchingExponent - 1)
  const prefillMs = entry.meanPrompt / speeds.prefillPerMs
  const turnoverMs = prefillMs + (entry.meanOutput - 1) / perRequest
  return { slotS: turnoverMs / spec.slotsPerUnit / 1000, prefillS: prefillMs / 1000 }
}

interface CapUnit {
  readonly pulled: ReadonlySet<string>
  readonly costs: Map<string, { slotS: number; prefillS: number }>
}

/**
 * Whether the units can serve `rate` requests/s of the mix: models with the fewest eligible units go
 * first, each spread over its eligible units cheapest first, using what is left of each unit's slot
 * time and prefill time (a greedy fluid assignment: a lower bound on the true optimum).
 */
function feasible(units: readonly CapUnit[], mix: readonly ModelMix[], rate: number): boolean {
  const slotLeft = units.map(() => 1)
  const prefillLeft = units.map(() => 1)
  const order = [...mix].sort(
    (a, b) =>
      units.filter((unit) => unit.pulled.has(a.model)).length -
        units.filter((unit) => unit.pulled.has(b.model)).length || a.model.localeCompare(b.model),
  )
  for (const entry of order) {
    let demand = rate * entry.share
    const eligible = units
      .map((unit, index) => ({ unit, index }))
      .filter(({ unit }) => unit.pulled.has(entry.model))
      .sort(
        (a, b) => (a.unit.costs.get(entry.model)?.slotS ?? 0) - (b.unit.costs.get(entry.model)?.slotS ?? 0),
      )
    for (const { unit, index } of eligible) {
      const cost = unit.costs.get(entry.model) as { slotS: number; prefillS: number }
      const take = Math.min(
        demand,
        (slotLeft[index] as number) / cost.slotS,
        (prefillLeft[index] as number) / cost.prefillS,
      )
      slotLeft[index] = (slotLeft[index] as number) - take * cost.slotS
      prefillLeft[index] = (prefillLeft[index] as number) - take * cost.prefillS
      demand -= take
      if (demand <= 1e-9) break
    }
    if (demand > 1e-9) return false
  }
  return true
}

export function capacityPerS(
  hosts: readonly HostSpec[],
  factors: readonly HiddenFactors[],
  name: WorkloadName,
): number {
  const mix = workloadMix(name)
  const units: CapUnit[] = []
  hosts.forEach((spec, index) => {
    if (spec.joinsAt !== undefined) return
    const pulled = new Set(pulledModels(spec))
    const costs = new Map<string, { slotS: number; prefillS: number }>()
    for (const entry of mix) {
      if (pulled.has(entry.model))
        costs.set(entry.model, unitCost(spec, factors[index] as HiddenFactors, entry))
    }
    for (let unit = 0; unit < unitsOf(spec); unit++) units.push({ pulled, costs })
  })
  let low = 0
  let high = 1
  while (feasible(units, mix, high)) high *= 2
  for (let i = 0; i < 40; i++) {
    const middle = (low + high) / 2
    if (feasible(units, mix, middle)) low = middle
    else high = middle
  }
  return low
}
