import { readFileSync } from 'node:fs'
import { GpuDevice, GpuDeviceList } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { listXmlFixtures, xmlFixturePath } from '../../test/helpers/fixtures.js'
import { parseGpuInventory } from './parse-gpu-inventory.js'

interface Expected {
  driverVersion: string
  cudaVersion: string | null
  count: number
  names: string[]
  vramTotalMiB: number[]
  /** GPU 0's live values as captured. */
  first: {
    uuid: string
    vramUsedMiB: number | null
    utilizationPct: number | null
    temperatureC: number | null
    powerDrawW: number | null
    maxSmClockMHz: number | null
    migEnabled: boolean
  }
  pciDeviceId: string | null
  largestMigInstanceMiB?: number
}

const repeat = <T>(value: T, times: number): T[] => Array.from({ length: times }, () => value)

/** Written by hand from each capture (INDEX.md and the XML itself). */
const EXPECTED: Record<string, Expected> = {
  'gpuid__h100.xml': {
    driverVersion: '570.86.15',
    cudaVersion: '12.8',
    count: 8,
    names: repeat('NVIDIA H100 80GB HBM3', 8),
    vramTotalMiB: repeat(81559, 8),
    first: {
      uuid: 'GPU-ab6ab95d-8259-5551-5962-e4a7a710fbae',
      vramUsedMiB: 1,
      utilizationPct: 0,
      temperatureC: 33,
      // gpu_power_readings/power_draw, not gpu_memory_power_readings (43.82 W)
      powerDrawW: 70.93,
      maxSmClockMHz: 1980,
      migEnabled: false,
    },
    pciDeviceId: '2330',
  },
  'pai__nvidia_smi_sample.xml': {
    driverVersion: '384.66',
    cudaVersion: null,
    // attached_gpus says 6; the trimmed capture holds 2 <gpu> elements.
    count: 2,
    names: repeat('GeForce GTX 1070', 2),
    vramTotalMiB: [8112, 8114],
    first: {
      uuid: 'GPU-e511a7b2-f9d5-ba47-9b98-853732ca6c1b',
      vramUsedMiB: 2028,
      utilizationPct: 100,
      temperatureC: 60,
      powerDrawW: 119.47,
      maxSmClockMHz: 1961,
      migEnabled: false,
    },
    pciDeviceId: '1B81',
  },
  'pai__nvidia_smi_sample_ecc_unsupported.xml': {
    driverVersion: '410.73',
    cudaVersion: '10.0',
    count: 2,
    names: repeat('GeForce RTX 2080 Ti', 2),
    vramTotalMiB: [10989, 10989],
    first: {
      uuid: 'GPU-57567e11-0be2-381b-5132-2ad95c262e58',
      vramUsedMiB: 0,
      utilizationPct: 0,
      temperatureC: 24,
      powerDrawW: 2.12,
      maxSmClockMHz: 2100,
      migEnabled: false,
    },
    pciDeviceId: '1E04',
  },
  'telegraf__a100-sxm4-v12.xml': {
    driverVersion: '535.54.03',
    cudaVersion: '12.2',
    count: 1,
    names: ['NVIDIA A100-SXM4-80GB'],
    vramTotalMiB: [81920],
    first: {
      uuid: 'GPU-513536b6-7d19-9063-b049-1e69664bb298',
      vramUsedMiB: 50,
      // N/A under MIG: null, never 0
      utilizationPct: null,
      temperatureC: 27,
      powerDrawW: 67.03,
      maxSmClockMHz: 1410,
      migEnabled: true,
    },
    pciDeviceId: '20B2',
    largestMigInstanceMiB: 19968,
  },
  'telegraf__a10g.xml': {
    driverVersion: '515.105.01',
    cudaVersion: '11.7',
    count: 1,
    names: ['NVIDIA A10G'],
    vramTotalMiB: [23028],
    first: {
      uuid: 'GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94',
      vramUsedMiB: 22,
      utilizationPct: 0,
      temperatureC: 17,
      powerDrawW: 25.58,
      maxSmClockMHz: 1710,
      migEnabled: false,
    },
    // Redacted in the capture as 000000DE.
    pciDeviceId: '0000',
  },
  'telegraf__dual_2080-v13.xml': {
    driverVersion: '590.44.01',
    cudaVersion: '13.1',
    count: 2,
    names: repeat('NVIDIA GeForce RTX 2080', 2),
    vramTotalMiB: [8192, 8192],
    first: {
      uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
      vramUsedMiB: 1,
      utilizationPct: 0,
      temperatureC: 15,
      // v13: gpu_power_readings/instant_power_draw
      powerDrawW: 1,
      maxSmClockMHz: 2160,
      migEnabled: false,
    },
    pciDeviceId: '1E87',
  },
  'telegraf__gtx-1660-ti.xml': {
    driverVersion: '418.43',
    cudaVersion: '10.1',
    count: 1,
    names: ['Graphics Device'],
    vramTotalMiB: [5912],
    first: {
      uuid: 'GPU-304a277d-3545-63b8-3a36-dfde3c992989',
      vramUsedMiB: 0,
      utilizationPct: 0,
      temperatureC: 40,
      powerDrawW: 8.93,
      maxSmClockMHz: 2145,
      migEnabled: false,
    },
    pciDeviceId: '2184',
  },
  'telegraf__quadro-p400.xml': {
    driverVersion: '418.43',
    cudaVersion: '10.1',
    count: 1,
    names: ['Quadro P400'],
    vramTotalMiB: [1998],
    first: {
      uuid: 'GPU-8f750be4-dfbc-23b9-b33f-da729a536494',
      vramUsedMiB: 0,
      utilizationPct: 0,
      temperatureC: 33,
      // power_draw N/A on this card: null, never 0
      powerDrawW: null,
      maxSmClockMHz: 1252,
      migEnabled: false,
    },
    pciDeviceId: '1CB3',
  },
  'telegraf__rtx-3080-v13.xml': {
    driverVersion: '595.58.03',
    cudaVersion: '13.2',
    count: 1,
    names: ['NVIDIA GeForce RTX 3080'],
    vramTotalMiB: [10240],
    first: {
      uuid: 'GPU-19d6d965-2acc-f646-00f8-4c76979aabb4',
      vramUsedMiB: 9184,
      utilizationPct: 65,
      temperatureC: 27,
      powerDrawW: 142.33,
      maxSmClockMHz: 2100,
      migEnabled: false,
    },
    pciDeviceId: '2216',
  },
  'telegraf__rtx-3090-v12.xml': {
    driverVersion: '525.147.05',
    cudaVersion: '12.0',
    count: 1,
    names: ['NVIDIA GeForce RTX 3090'],
    vramTotalMiB: [24576],
    first: {
      uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
      vramUsedMiB: 1,
      utilizationPct: 0,
      temperatureC: 37,
      powerDrawW: 27.23,
      maxSmClockMHz: 2100,
      migEnabled: false,
    },
    // [REDACTED] in the capture
    pciDeviceId: null,
  },
  'telegraf__tesla-t4.xml': {
    driverVersion: '515.105.01',
    cudaVersion: '11.7',
    count: 1,
    names: ['Tesla T4'],
    vramTotalMiB: [15360],
    first: {
      uuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
      vramUsedMiB: 1032,
      utilizationPct: 0,
      temperatureC: 40,
      powerDrawW: 26.78,
      maxSmClockMHz: 1590,
      migEnabled: false,
    },
    pciDeviceId: '1EB8',
  },
}

describe('parseGpuInventory on every captured nvidia-smi -q -x', () => {
  it.each(listXmlFixtures())('%s', async (file) => {
    const xml = readFileSync(xmlFixturePath(file), 'utf8')
    const inventory = await parseGpuInventory(xml)

    // Every device is a valid wire GpuDevice, indexed in order, with no NaN hiding anywhere.
    for (const [position, gpu] of inventory.gpus.entries()) {
      expect(GpuDevice.parse(gpu.device)).toEqual(gpu.device)
      expect(gpu.device.index).toBe(position)
    }
    expect(inventory.gpus.length).toBe((xml.match(/<gpu id=/g) ?? []).length)
    // …and the list passes as a registration's: no index twice, no GPU using more VRAM than it has.
    const devices = inventory.gpus.map((gpu) => gpu.device)
    expect(GpuDeviceList.parse(devices)).toEqual(devices)

    const expected = EXPECTED[file]
    if (expected === undefined) return // a new capture: the invariants above still run
    expect(inventory.driverVersion).toBe(expected.driverVersion)
    expect(inventory.cudaVersion).toBe(expected.cudaVersion)
    expect(inventory.gpus).toHaveLength(expected.count)
    expect(inventory.gpus.map((gpu) => gpu.device.name)).toEqual(expected.names)
    expect(inventory.gpus.map((gpu) => gpu.device.vramTotalMiB)).toEqual(expected.vramTotalMiB)
    const first = inventory.gpus[0]
    expect(first?.device).toMatchObject({ ...expected.first, index: 0, computeCapability: null })
    expect(first?.pciDeviceId).toBe(expected.pciDeviceId)
    expect(first?.largestMigInstanceMiB ?? undefined).toBe(expected.largestMigInstanceMiB)
  })
})

describe('parseGpuInventory edge cases', () => {
  it('rejects a document that is not nvidia-smi output', async () => {
    await expect(parseGpuInventory('<html><body>nope</body></html>')).rejects.toThrow(/nvidia_smi_log/)
  })

  it('rejects malformed XML', async () => {
    await expect(parseGpuInventory('<nvidia_smi_log><gpu>')).rejects.toThrow()
  })

  it('reads a host with no <gpu> elements as zero GPUs', async () => {
    const inventory = await parseGpuInventory(
      '<nvidia_smi_log><driver_version>550.1</driver_version><attached_gpus>0</attached_gpus></nvidia_smi_log>',
    )
    expect(inventory).toEqual({ driverVersion: '550.1', cudaVersion: null, gpus: [] })
  })

  it('reports the VRAM in use as unknown where the driver hides the total but not the use', async () => {
    const inventory = await parseGpuInventory(
      `<nvidia_smi_log><gpu id="0"><product_name>X</product_name><uuid>GPU-1</uuid>
        <fb_memory_usage><total>[N/A]</total><used>812 MiB</used></fb_memory_usage></gpu></nvidia_smi_log>`,
    )
    expect(inventory.gpus[0]?.device).toMatchObject({ vramTotalMiB: 0, vramUsedMiB: null })
  })

  it('maps [Not Supported] and [N/A] to null', async () => {
    const inventory = await parseGpuInventory(
      `<nvidia_smi_log><gpu id="0"><product_name>X</product_name><uuid>GPU-1</uuid>
        <fb_memory_usage><total>1024 MiB</total><used>[N/A]</used></fb_memory_usage>
        <utilization><gpu_util>[Not Supported]</gpu_util></utilization>
        <temperature><gpu_temp>N/A</gpu_temp></temperature></gpu></nvidia_smi_log>`,
    )
    expect(inventory.gpus[0]?.device).toMatchObject({
      vramTotalMiB: 1024,
      vramUsedMiB: null,
      utilizationPct: null,
      temperatureC: null,
      powerDrawW: null,
    })
  })
})
