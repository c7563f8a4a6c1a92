/**
 * Host CPU and memory. Memory comes from systeminformation's `mem()` (an async read of
 * /proc/meminfo), loaded alone from `systeminformation/lib/memory.js` (see systeminformation-memory.d.ts). CPU busy percent is computed here from `os.cpus()` tick deltas instead of
 * systeminformation's `currentLoad()`: that one does measure since its previous call, but on Linux it
 * also runs `execSync('cat /proc/stat | grep cpu')` through a shell on every call, which blocks the
 * event loop and costs three processes per sample (STYLE 2.7: no execSync in the daemon).
 */
import { availableParallelism, cpus, type CpuInfo as OsCpuInfo, totalmem } from 'node:os'
import type { CpuInfo } from '@llm-fleet/types'
import { mem } from 'systeminformation/lib/memory.js'

/** Cumulative CPU ticks, summed over cores. */
export interface CpuTicks {
  busy: number
  total: number
}

export function readCpuTicks(cores: readonly OsCpuInfo[] = cpus()): CpuTicks {
  let busy = 0
  let total = 0
  for (const { times } of cores) {
    const coreBusy = times.user + times.nice + times.sys + times.irq
    busy += coreBusy
    total += coreBusy + times.idle
  }
  return { busy, total }
}

/** PURE: busy percent between two tick readings; 0 when no time passed. */
export function cpuBusyPercent(previous: CpuTicks, current: CpuTicks): number {
  const total = current.total - previous.total
  if (total <= 0) return 0
  const busy = current.busy - previous.busy
  return Math.min(100, Math.max(0, (busy / total) * 100))
}

/**
 * PURE: used percent that excludes the page cache: `total - available` (the kernel's MemAvailable),
 * which is what systeminformation calls `active`. `used` (`total - free`) counts cache as used and
 * would make every long-running host look full.
 */
export function memoryUsedPercent(memory: { total: number; available: number }): number {
  if (memory.total <= 0) return 0
  return Math.min(100, Math.max(0, ((memory.total - memory.available) / memory.total) * 100))
}

export interface HostSample {
  cpuUsage: number
  memoryUsage: number
}

export class CpuMemorySampler {
  #previous: CpuTicks

  constructor(readTicks: () => CpuTicks = readCpuTicks) {
    this.readTicks = readTicks
    // The first sample then covers the time since construction, not since boot.
    this.#previous = readTicks()
  }

  private readonly readTicks: () => CpuTicks

  /** CPU over the time since the previous call; memory now. */
  async sample(): Promise<HostSample> {
    const current = this.readTicks()
    const cpuUsage = cpuBusyPercent(this.#previous, current)
    this.#previous = current
    const memory = await mem()
    return { cpuUsage: round1(cpuUsage), memoryUsage: round1(memoryUsedPercent(memory)) }
  }
}

/** The static part: CPU model and logical cores, total memory. */
export function readHostInfo(): { cpu: CpuInfo; memoryTotalBytes: number } {
  const model = cpus()[0]?.model.trim() || 'unknown CPU'
  return { cpu: { model, cores: Math.max(1, availableParallelism()) }, memoryTotalBytes: totalmem() }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10
}
