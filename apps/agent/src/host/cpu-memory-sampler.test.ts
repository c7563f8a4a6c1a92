import { describe, expect, it } from 'vitest'
import { CpuMemorySampler, cpuBusyPercent, memoryUsedPercent, readHostInfo } from './cpu-memory-sampler.js'

describe('cpuBusyPercent', () => {
  it('measures the interval between two readings, not the time since boot', () => {
    expect(cpuBusyPercent({ busy: 1_000_000, total: 9_000_000 }, { busy: 1_000_300, total: 9_001_000 })).toBe(
      30,
    )
  })

  it('is 0 when no time passed', () => {
    expect(cpuBusyPercent({ busy: 5, total: 10 }, { busy: 5, total: 10 })).toBe(0)
  })
})

describe('memoryUsedPercent', () => {
  it('excludes the page cache: total minus available', () => {
    expect(memoryUsedPercent({ total: 64, available: 48 })).toBe(25)
  })
})

describe('CpuMemorySampler', () => {
  it('reports CPU over the time since the previous sample', async () => {
    const readings = [
      { busy: 0, total: 0 },
      { busy: 50, total: 100 },
      { busy: 60, total: 200 },
    ]
    const sampler = new CpuMemorySampler(() => readings.shift() ?? { busy: 60, total: 200 })
    expect((await sampler.sample()).cpuUsage).toBe(50)
    expect((await sampler.sample()).cpuUsage).toBe(10)
  })

  it('reads this host’s memory within 0–100 %', async () => {
    const { memoryUsage } = await new CpuMemorySampler().sample()
    expect(memoryUsage).toBeGreaterThan(0)
    expect(memoryUsage).toBeLessThanOrEqual(100)
  })

  it('reads the CPU model, cores and total memory', () => {
    const info = readHostInfo()
    expect(info.cpu.cores).toBeGreaterThanOrEqual(1)
    expect(info.cpu.model.length).toBeGreaterThan(0)
    expect(info.memoryTotalBytes).toBeGreaterThan(0)
  })
})
