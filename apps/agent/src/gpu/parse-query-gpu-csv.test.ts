import { readFileSync } from 'node:fs'
import { type GpuLiveValues, GpuLiveValuesList } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { csvFixturePath, listCsvFixtures } from '../../test/helpers/fixtures.js'
import { parseQueryGpuCsv } from './parse-query-gpu-csv.js'

interface Expected {
  /** The --query-gpu list of a capture without a header (from INDEX.md). */
  fields?: string[]
  count: number
  first: GpuLiveValues
}

/** Written by hand from each capture. */
const EXPECTED: Record<string, Expected> = {
  'gpustat-issue5__query-gpu_noheader_nounits.csv': {
    fields: ['index', 'uuid', 'name', 'temperature.gpu', 'utilization.gpu', 'memory.used', 'memory.total'],
    count: 8,
    first: {
      index: 0,
      uuid: 'GPU-004f693d-767b-b215-b4a9-a18af0ffd643',
      temperatureC: 25,
      utilizationPct: 0,
      vramUsedMiB: 802,
      vramTotalMiB: 12206,
      // not queried
      powerDrawW: null,
    },
  },
  'nvgpuexp__h100-80gb-hbm3_590.48.01_load__query-gpu.csv': {
    count: 1,
    first: {
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      utilizationPct: 100,
      vramUsedMiB: 19818,
      vramTotalMiB: 81559,
      temperatureC: 59,
      powerDrawW: 631.95,
    },
  },
  'nvgpuexp__h100-mig_590.48.01_load__query-gpu.csv': {
    count: 1,
    first: {
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      // [N/A] under MIG, even under load: null, never 0
      utilizationPct: null,
      vramUsedMiB: 11125,
      vramTotalMiB: 81559,
      temperatureC: 53,
      powerDrawW: 433.78,
    },
  },
  'nvgpuexp__l40s_595.80_load__query-gpu.csv': {
    count: 1,
    first: {
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      utilizationPct: 9,
      vramUsedMiB: 1235,
      vramTotalMiB: 46068,
      temperatureC: 54,
      powerDrawW: 110.23,
    },
  },
  'nvgpuexp__windows-rtx-2080-super_591.86_load__query-gpu.csv': {
    count: 1,
    first: {
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      utilizationPct: 7,
      vramUsedMiB: 1296,
      vramTotalMiB: 8192,
      temperatureC: 45,
      powerDrawW: 97.43,
    },
  },
}

describe('parseQueryGpuCsv on every captured --query-gpu output', () => {
  it.each(listCsvFixtures())('%s', (file) => {
    const text = readFileSync(csvFixturePath(file), 'utf8')
    const expected = EXPECTED[file]
    const gpus = parseQueryGpuCsv(text, expected?.fields === undefined ? {} : { fields: expected.fields })
    expect(gpus.length).toBeGreaterThan(0)
    expect(GpuLiveValuesList.parse(gpus)).toEqual(gpus)
    if (expected === undefined) return // a new capture: the invariants above still run
    expect(gpus).toHaveLength(expected.count)
    expect(gpus[0]).toEqual(expected.first)
    expect(gpus.map((gpu) => gpu.index)).toEqual([...Array(expected.count).keys()])
  })
})

describe('parseQueryGpuCsv with the agent’s own query (noheader, nounits)', () => {
  it('reads every GPU and maps [N/A] and [Not Supported] to null', () => {
    const output = [
      '0, GPU-a, 35, 1024, 81559, 41, 120.50',
      '1, GPU-b, [N/A], 2048, 81559, 40, [Not Supported]',
      '',
    ].join('\n')
    expect(parseQueryGpuCsv(output)).toEqual([
      {
        index: 0,
        uuid: 'GPU-a',
        utilizationPct: 35,
        vramUsedMiB: 1024,
        vramTotalMiB: 81559,
        temperatureC: 41,
        powerDrawW: 120.5,
      },
      {
        index: 1,
        uuid: 'GPU-b',
        utilizationPct: null,
        vramUsedMiB: 2048,
        vramTotalMiB: 81559,
        temperatureC: 40,
        powerDrawW: null,
      },
    ])
  })

  it('reports the VRAM in use as unknown where the driver hides the total but not the use', () => {
    expect(parseQueryGpuCsv('0, GPU-a, 35, 812, [N/A], 41, 120.50')).toMatchObject([
      { vramUsedMiB: null, vramTotalMiB: 0 },
    ])
  })

  it('drops a torn line instead of half-reading it', () => {
    expect(parseQueryGpuCsv('0, GPU-a, 35, 1024, 81559, 41, 120.50\n1, GPU-b, 3')).toHaveLength(1)
  })

  it('reads a header with units, in any field order', () => {
    const output = 'power.draw [W], index, memory.total [MiB], uuid\n55.00 W, 0, 16384 MiB, GPU-z\n'
    expect(parseQueryGpuCsv(output)).toEqual([
      {
        index: 0,
        uuid: 'GPU-z',
        utilizationPct: null,
        vramUsedMiB: null,
        vramTotalMiB: 16384,
        temperatureC: null,
        powerDrawW: 55,
      },
    ])
  })

  it('returns nothing for an error message printed instead of data', () => {
    expect(
      parseQueryGpuCsv(
        'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 535.161',
      ),
    ).toEqual([])
  })
})
