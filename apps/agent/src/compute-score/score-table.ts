/**
 * PURE: the table of scores for common GPUs in docs/agent.md, rendered from the code so the two cannot
 * drift (the `score-table` block of packages/docs-figures; `pnpm docs:figures` rewrites it).
 */
import { computeGpuScore } from './compute-score.js'
import { GPU_SPECS, type GpuSpec } from './gpu-spec-table.js'

/** The models docs/agent.md lists, by table entry. */
export const SCORE_TABLE_MODELS = [
  'H100 SXM',
  'A100 80GB SXM',
  'L40S',
  'RTX 4090',
  'RTX 3090',
  'A10G',
  'L4',
  'T4',
  'V100',
  'P40',
] as const

function specFor(model: string): GpuSpec {
  const spec = GPU_SPECS.find((entry) => entry.model === model)
  if (spec === undefined) throw new Error(`no spec table entry named ${model}`)
  return spec
}

/** A Markdown table: model, bandwidth, FP16 TFLOPS, VRAM, score for one GPU (at its nominal VRAM). */
export function renderScoreTable(): string {
  const rows = SCORE_TABLE_MODELS.map((model) => {
    const spec = specFor(model)
    const { score } = computeGpuScore({ name: model, vramTotalMiB: spec.vramGiB * 1024 })
    return `| ${model} | ${spec.bandwidthGBs} | ${spec.fp16Tflops} | ${spec.vramGiB} | ${score.toFixed(1)} |`
  })
  return [
    '| GPU | memory bandwidth (GB/s) | dense FP16 tensor TFLOPS | VRAM (GiB) | score |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n')
}
