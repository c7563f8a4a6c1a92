import { MAX_COMPUTE_SCORE, MAX_GPUS } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { computeGpuScore, computeHostScore } from './compute-score.js'
import { findGpuSpec, GPU_SPECS } from './gpu-spec-table.js'

/** Names as each board's driver reports them, with the VRAM it reports. */
const H100 = { name: 'NVIDIA H100 80GB HBM3', vramTotalMiB: 81559 }
const A100 = { name: 'NVIDIA A100-SXM4-80GB', vramTotalMiB: 81920 }
const RTX_4090 = { name: 'NVIDIA GeForce RTX 4090', vramTotalMiB: 24564 }
const RTX_3090 = { name: 'NVIDIA GeForce RTX 3090', vramTotalMiB: 24576 }
const A10G = { name: 'NVIDIA A10G', vramTotalMiB: 23028 }
const L4 = { name: 'NVIDIA L4', vramTotalMiB: 23034 }
const T4 = { name: 'Tesla T4', vramTotalMiB: 15360 }

/** 2025–2026 boards as nvidia-smi names them (product names from NVIDIA's datasheets), with their VRAM. */
const GB200 = { name: 'NVIDIA GB200', vramTotalMiB: 189_471, computeCapability: '10.0' }
const B200 = { name: 'NVIDIA B200', vramTotalMiB: 183_359, computeCapability: '10.0' }
const RTX_PRO_6000 = {
  name: 'NVIDIA RTX PRO 6000 Blackwell Workstation Edition',
  vramTotalMiB: 97_887,
  computeCapability: '12.0',
}
const RTX_PRO_6000_MAX_Q = {
  ...RTX_PRO_6000,
  name: 'NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition',
}
const RTX_PRO_6000_SERVER = { ...RTX_PRO_6000, name: 'NVIDIA RTX PRO 6000 Blackwell Server Edition' }
const RTX_5090 = { name: 'NVIDIA GeForce RTX 5090', vramTotalMiB: 32_607, computeCapability: '12.0' }

describe('computeGpuScore: 2025–2026 parts', () => {
  it('ranks Blackwell data-center GPUs above an H100 (they scored 186 from the VRAM floor before)', () => {
    const h100 = computeGpuScore(H100).score
    for (const gpu of [GB200, B200]) {
      const scored = computeGpuScore(gpu)
      expect(scored.basis.kind).toBe('table')
      expect(scored.score).toBeGreaterThan(h100)
    }
    // 8 000 GB/s + 2 500 dense FP16 TFLOPS, over 10.
    expect(computeGpuScore(GB200).score).toBe(1050)
  })

  it('ranks every RTX PRO 6000 Blackwell edition above an RTX 3090 (97.1 from the floor before)', () => {
    const rtx3090 = computeGpuScore(RTX_3090).score
    const editions = [RTX_PRO_6000, RTX_PRO_6000_MAX_Q, RTX_PRO_6000_SERVER].map((gpu) =>
      computeGpuScore(gpu),
    )
    expect(editions.map((scored) => scored.basis.kind === 'table' && scored.basis.spec.model)).toEqual([
      'RTX PRO 6000 Blackwell',
      'RTX PRO 6000 Blackwell Max-Q',
      'RTX PRO 6000 Blackwell Server',
    ])
    for (const scored of editions) expect(scored.score).toBeGreaterThan(rtx3090)
    // (1 792 + 500) / 10 for the Workstation Edition.
    expect(editions[0]?.score).toBe(229.2)
  })

  it('tells the Ti and SUPER variants from their base cards', () => {
    const modelOf = (name: string) => findGpuSpec({ name, vramTotalMiB: 16_376 })?.model
    expect(modelOf('NVIDIA GeForce RTX 4070 Ti SUPER')).toBe('RTX 4070 Ti SUPER')
    expect(modelOf('NVIDIA GeForce RTX 4070 Ti')).toBe('RTX 4070 Ti')
    expect(modelOf('NVIDIA GeForce RTX 4070')).toBe('RTX 4070')
    expect(modelOf('NVIDIA GeForce RTX 5060 Ti')).toBe('RTX 5060 Ti')
    expect(modelOf('NVIDIA GeForce RTX 3080 Ti')).toBe('RTX 3080 Ti')
    expect(modelOf('NVIDIA GeForce RTX 3080')).toBe('RTX 3080')
    expect(modelOf('NVIDIA H200 NVL')).toBe('H200 NVL')
    expect(modelOf('NVIDIA H20')).toBe('H20')
    expect(modelOf('NVIDIA GH200 480GB')).toBe('GH200 96GB')
    expect(modelOf('NVIDIA RTX A2000 12GB')).toBe('RTX A2000')
    expect(modelOf('NVIDIA A2')).toBe('A2')
  })

  it('scores an RTX 5090 above an RTX 4090', () => {
    expect(computeGpuScore(RTX_5090).score).toBeGreaterThan(computeGpuScore(RTX_4090).score)
  })

  it('never ranks a card of an unknown newer generation below the previous generation at its size', () => {
    // Compute capability 13.0 is newer than any table entry: compared with the newest generation's
    // closest-VRAM card instead of the VRAM floor (which gave a 186 GiB card 186 points).
    const successor = computeGpuScore({
      name: 'NVIDIA Future GPU',
      vramTotalMiB: 196_608,
      computeCapability: '13.0',
    })
    expect(successor.basis.kind).toBe('previous-generation')
    expect(successor.score).toBeGreaterThan(computeGpuScore(H100).score)
    // Far from any known size: the floor still applies.
    const tiny = computeGpuScore({
      name: 'NVIDIA Future Tiny',
      vramTotalMiB: 512,
      computeCapability: '13.0',
    })
    expect(tiny.basis.kind).toBe('floor')
  })
})

describe('computeGpuScore', () => {
  it('orders GPUs as their LLM serving speed does: H100 > A100 > RTX 4090 > RTX 3090 > A10G > L4 > T4', () => {
    const ordered = [H100, A100, RTX_4090, RTX_3090, A10G, L4, T4]
    const scores = ordered.map((gpu) => computeGpuScore(gpu).score)
    for (let i = 1; i < scores.length; i++) expect(scores[i - 1]).toBeGreaterThan(scores[i] ?? Number.NaN)
  })

  it('rates an RTX 4090 well above an L4 (about 3x the decode speed), unlike the original formula', () => {
    expect(computeGpuScore(RTX_4090).score / computeGpuScore(L4).score).toBeGreaterThan(2.5)
  })

  it('scales down a card that cannot hold a 16 GiB working set', () => {
    const p400 = computeGpuScore({ name: 'Quadro P400', vramTotalMiB: 1998 })
    expect(p400.usableVramGiB).toBeLessThan(2)
    expect(p400.score).toBeLessThan(1)
    expect(p400.score).toBeGreaterThan(0)
  })

  it('scores a MIG-enabled GPU as its largest instance', () => {
    const whole = computeGpuScore(A100).score
    const sliced = computeGpuScore({ ...A100, migEnabled: true, largestMigInstanceMiB: 19968 })
    expect(sliced.usableVramGiB).toBe(19.5)
    expect(sliced.score).toBeLessThan(whole / 3)
    expect(sliced.score).toBeGreaterThan(0)
    expect(computeGpuScore({ ...A100, migEnabled: true, largestMigInstanceMiB: null }).score).toBe(0)
  })

  it('estimates an unknown card from the known card of its generation with the closest VRAM', () => {
    const unknownAda = computeGpuScore({
      name: 'NVIDIA RTX 4000 SFF Ada',
      vramTotalMiB: 20475,
      computeCapability: '8.9',
    })
    expect(unknownAda.basis).toMatchObject({ kind: 'sibling', spec: { model: 'L4' } })
    expect(unknownAda.score).toBe(computeGpuScore(L4).score)
  })

  it('gives an unknown card of unknown generation a conservative floor estimate', () => {
    const unknown = computeGpuScore({ name: 'Mystery Accelerator', vramTotalMiB: 16384, maxSmClockMHz: 2000 })
    expect(unknown.basis).toEqual({ kind: 'floor' })
    expect(unknown.score).toBeGreaterThan(0)
    expect(unknown.score).toBeLessThan(computeGpuScore(T4).score)
  })
})

describe('computeHostScore', () => {
  it('sums over the host’s GPUs and is 0 for a CPU-only host', () => {
    expect(computeHostScore([])).toBe(0)
    expect(computeHostScore([H100, H100])).toBe(2 * computeGpuScore(H100).score)
  })

  it('keeps a host of unknown cards with unreadable VRAM and clocks within what a coordinator accepts', () => {
    // nvidia-smi has printed 4294967295 for values it could not read; 64 GPUs is the most a host has.
    const corrupt = { name: 'Mystery Accelerator', vramTotalMiB: 4_294_967_295, maxSmClockMHz: 4_294_967_295 }
    expect(computeGpuScore(corrupt).basis).toEqual({ kind: 'floor' })
    expect(computeHostScore(Array.from({ length: MAX_GPUS }, () => corrupt))).toBeLessThanOrEqual(
      MAX_COMPUTE_SCORE,
    )
  })
})

describe('findGpuSpec name matching', () => {
  it.each([
    ['NVIDIA GeForce RTX 4090', 24564, 'RTX 4090'],
    ['GeForce RTX 4090', 24564, 'RTX 4090'],
    ['RTX 4090', 24564, 'RTX 4090'],
    ['GeForce RTX 2080 Ti', 10989, 'RTX 2080 Ti'],
    ['NVIDIA GeForce RTX 2080', 8192, 'RTX 2080'],
    ['NVIDIA GeForce RTX 2080 SUPER', 8192, 'RTX 2080 SUPER'],
    ['NVIDIA H100 80GB HBM3', 81559, 'H100 SXM'],
    ['NVIDIA H100 PCIe', 81559, 'H100 PCIe'],
    ['NVIDIA H100 NVL', 95830, 'H100 NVL'],
    ['NVIDIA H200', 143771, 'H200'],
    ['NVIDIA A100-SXM4-80GB', 81920, 'A100 80GB SXM'],
    ['NVIDIA A100-SXM4-40GB', 40960, 'A100 40GB SXM'],
    ['NVIDIA A100 80GB PCIe', 81920, 'A100 80GB PCIe'],
    ['NVIDIA A100-PCIE-40GB', 40536, 'A100 40GB PCIe'],
    ['NVIDIA L40S', 46068, 'L40S'],
    ['NVIDIA L40', 46068, 'L40'],
    ['NVIDIA L4', 23034, 'L4'],
    ['NVIDIA A40', 46068, 'A40'],
    ['NVIDIA A10G', 23028, 'A10G'],
    ['NVIDIA A10', 23028, 'A10'],
    ['Tesla T4', 15360, 'T4'],
    ['Tesla V100-SXM2-16GB', 16160, 'V100'],
    ['Tesla V100-PCIE-32GB', 32510, 'V100 PCIe'],
    ['Tesla P40', 24451, 'P40'],
    ['Tesla P100-PCIE-16GB', 16280, 'P100'],
    ['NVIDIA RTX A6000', 49140, 'RTX A6000'],
    ['NVIDIA RTX 6000 Ada Generation', 49140, 'RTX 6000 Ada'],
    ['GeForce GTX 1070', 8112, 'GTX 1070'],
    ['NVIDIA GeForce GTX 1660 Ti', 5912, 'GTX 1660 Ti'],
    ['Quadro P400', 1998, 'Quadro P400'],
    ['GeForce GTX TITAN X', 12206, 'GTX TITAN X'],
    ['NVIDIA TITAN X (Pascal)', 12196, 'TITAN X (Pascal)'],
  ])('%s → %s', (name, vramTotalMiB, model) => {
    expect(findGpuSpec({ name, vramTotalMiB })?.model).toBe(model)
  })

  it('identifies "Graphics Device" by PCI device id', () => {
    expect(findGpuSpec({ name: 'Graphics Device', vramTotalMiB: 5912, pciDeviceId: '2184' })?.model).toBe(
      'GTX 1660',
    )
    expect(findGpuSpec({ name: 'Graphics Device', vramTotalMiB: 5912, pciDeviceId: 'FFFF' })).toBeUndefined()
  })

  it('does not mistake one model for a neighbour (P4000 is not a P40, RTX 4000 is not a T4)', () => {
    expect(findGpuSpec({ name: 'Quadro P4000', vramTotalMiB: 8192 })).toBeUndefined()
    expect(findGpuSpec({ name: 'NVIDIA RTX 4000 Ada Generation', vramTotalMiB: 20475 })).toBeUndefined()
  })

  it('cites a source for every entry and has positive numbers', () => {
    for (const spec of GPU_SPECS) {
      expect(spec.source.length).toBeGreaterThan(10)
      expect(spec.bandwidthGBs).toBeGreaterThan(0)
      expect(spec.fp16Tflops).toBeGreaterThan(0)
    }
  })
})
