/**
 * PURE: `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]` output → GpuLiveValues[].
 * Reads the header when there is one (any field order, any number of fields, ` [unit]` suffixes);
 * without one, the caller says which fields it asked for.
 */
import type { GpuLiveValues } from '@llm-fleet/types'
import { parseNvidiaSmiNumber, parseNvidiaSmiText, usedVramMiB } from './nvidia-smi-value.js'

/** What the agent asks for every interval, in this order. */
export const LIVE_QUERY_FIELDS = [
  'index',
  'uuid',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
] as const

export interface ParseQueryGpuCsvOptions {
  /** The `--query-gpu` list, for output without a header (`noheader`). Ignored when a header is present. */
  fields?: readonly string[]
}

/** `memory.used [MiB]` → `memory.used`. */
function headerToField(column: string): string {
  return column.replace(/\s*\[[^\]]*\]\s*$/, '').trim()
}

/** A header line names fields; a data line starts with a number (the index) or a GPU- uuid. */
function looksLikeHeader(line: string, knownFields: readonly string[]): boolean {
  const columns = line.split(',').map(headerToField)
  return columns.some((column) => knownFields.includes(column) || /^[a-z_]+(\.[a-z_]+)+$/.test(column))
}

/**
 * Parses one block of output. Lines that are blank are skipped; a line with fewer values than fields
 * is dropped (a torn write from a killed `-lms` child), never half-read.
 */
export function parseQueryGpuCsv(output: string, options: ParseQueryGpuCsvOptions = {}): GpuLiveValues[] {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '')
  let fields: readonly string[] = options.fields ?? LIVE_QUERY_FIELDS
  const first = lines[0]
  if (first !== undefined && looksLikeHeader(first, LIVE_QUERY_FIELDS)) {
    fields = first.split(',').map(headerToField)
    lines.shift()
  }
  const column = (name: string) => fields.indexOf(name)
  const at = {
    index: column('index'),
    uuid: column('uuid'),
    utilization: column('utilization.gpu'),
    memoryUsed: column('memory.used'),
    memoryTotal: column('memory.total'),
    temperature: column('temperature.gpu'),
    power: column('power.draw'),
  }
  const gpus: GpuLiveValues[] = []
  for (const [row, line] of lines.entries()) {
    const values = line.split(',').map((value) => value.trim())
    if (values.length < fields.length) continue
    const value = (position: number) => (position < 0 ? null : (values[position] ?? null))
    const index = parseNvidiaSmiNumber(value(at.index))
    // Required by the wire schema; a total the driver hides is 0, which the coordinator reads as "no VRAM data".
    const vramTotalMiB = nonNegative(parseNvidiaSmiNumber(value(at.memoryTotal))) ?? 0
    gpus.push({
      index: index !== null && Number.isInteger(index) && index >= 0 ? index : row,
      uuid: parseNvidiaSmiText(value(at.uuid)) ?? `GPU-index-${row}`,
      utilizationPct: clampPercent(parseNvidiaSmiNumber(value(at.utilization))),
      vramUsedMiB: usedVramMiB(nonNegative(parseNvidiaSmiNumber(value(at.memoryUsed))), vramTotalMiB),
      vramTotalMiB,
      temperatureC: parseNvidiaSmiNumber(value(at.temperature)),
      powerDrawW: nonNegative(parseNvidiaSmiNumber(value(at.power))),
    })
  }
  return gpus
}

function clampPercent(value: number | null): number | null {
  return value === null ? null : Math.min(100, Math.max(0, value))
}

function nonNegative(value: number | null): number | null {
  return value === null || value < 0 ? null : value
}
