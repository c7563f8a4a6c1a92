/**
 * PURE-ish: `nvidia-smi -q -x` XML → the host's GPU inventory. The XML is parsed with the xml2js that
 * node-nvidia-smi depends on, with node-nvidia-smi's own options; the mapping to `GpuDevice` is pure
 * and tolerates every schema version in the fixtures (v9 to v13).
 */
import { createRequire } from 'node:module'
import type { GpuDevice } from '@llm-fleet/types'
import { parseNvidiaSmiNumber, parseNvidiaSmiText, usedVramMiB } from './nvidia-smi-value.js'

/** One GPU as found in the inventory: the wire fields plus what the score needs. */
export interface InventoryGpu {
  device: GpuDevice
  /** PCI device id such as `2184` (upper-case hex, vendor stripped), for names like "Graphics Device". */
  pciDeviceId: string | null
  /** With MIG on, the largest instance's memory: the most one model can use. Null without MIG instances. */
  largestMigInstanceMiB: number | null
  /** How many MIG instances the GPU is sliced into (0 without MIG). */
  migInstanceCount: number
}

export interface GpuInventory {
  driverVersion: string | null
  cudaVersion: string | null
  gpus: InventoryGpu[]
}

type XmlNode = Record<string, unknown>
type ParseString = (
  xml: string,
  options: { explicitArray: boolean; trim: boolean },
  callback: (error: Error | null, result: unknown) => void,
) => void

/**
 * node-nvidia-smi's dependency, resolved from node-nvidia-smi itself (pnpm keeps it out of our own
 * node_modules). We don't call node-nvidia-smi's function: it runs `exec('nvidia-smi -q -x')` through
 * a shell, from PATH, with no timeout and without returning the child, so it can be neither pointed at
 * `NVIDIA_SMI_PATH` nor killed when it hangs (see the README, "GPU inventory").
 */
function loadParseString(): ParseString {
  const requireFromHere = createRequire(import.meta.url)
  const requireFromNodeNvidiaSmi = createRequire(requireFromHere.resolve('node-nvidia-smi'))
  const xml2js: unknown = requireFromNodeNvidiaSmi('xml2js')
  const parseString = (xml2js as { parseString?: unknown } | null)?.parseString
  if (typeof parseString !== 'function') throw new Error('xml2js.parseString not found via node-nvidia-smi')
  return parseString as ParseString
}

/** Resolved once, like an import: a library function, no state. */
const parseString = loadParseString()

/** Parses the XML text the way node-nvidia-smi does (`explicitArray: false, trim: true`). */
export function parseNvidiaSmiXml(xml: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    parseString(xml, { explicitArray: false, trim: true }, (error, result) => {
      if (error) reject(new Error('nvidia-smi -q -x printed invalid XML', { cause: error }))
      else resolve(result)
    })
  })
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** xml2js with `explicitArray: false` gives one object for one element and an array for several. */
function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return []
  return Array.isArray(value) ? value : [value]
}

/** Walks `a/b/c`; a text node with attributes is `{ _: text, $: attrs }`. */
function text(node: unknown, path: string): string | null {
  let current: unknown = node
  for (const key of path.split('/')) {
    if (!isNode(current)) return null
    current = current[key]
  }
  if (typeof current === 'string') return current
  if (isNode(current) && typeof current._ === 'string') return current._
  return null
}

function numberAt(node: unknown, ...paths: string[]): number | null {
  for (const path of paths) {
    const value = parseNvidiaSmiNumber(text(node, path))
    if (value !== null) return value
  }
  return null
}

/**
 * Power moved between schema versions: `power_readings/power_draw` (v9–v11), `gpu_power_readings/
 * power_draw` (v12, HGX), `gpu_power_readings/instant_power_draw` or `average_power_draw` (v13).
 */
const POWER_DRAW_PATHS = [
  'gpu_power_readings/power_draw',
  'gpu_power_readings/instant_power_draw',
  'gpu_power_readings/average_power_draw',
  'power_readings/power_draw',
  'power_readings/instant_power_draw',
  'power_readings/average_power_draw',
]

function pciDeviceId(gpu: unknown): string | null {
  // `218410DE`: the device id followed by NVIDIA's vendor id 10DE.
  const raw = parseNvidiaSmiText(text(gpu, 'pci/pci_device_id'))
  if (raw === null) return null
  const hex = raw.replace(/^0x/i, '').toUpperCase()
  return /^[0-9A-F]{8}$/.test(hex) ? hex.slice(0, 4) : null
}

function toInventoryGpu(gpu: unknown, index: number): InventoryGpu {
  const migDevices = asArray(isNode(gpu) && isNode(gpu.mig_devices) ? gpu.mig_devices.mig_device : undefined)
  const migSizes = migDevices
    .map((mig) => numberAt(mig, 'fb_memory_usage/total'))
    .filter((size): size is number => size !== null)
  // The schema requires a total; a driver that hides it leaves us nothing better than 0 (no model fits).
  const vramTotalMiB = numberAt(gpu, 'fb_memory_usage/total') ?? 0
  const device: GpuDevice = {
    index,
    uuid: parseNvidiaSmiText(text(gpu, 'uuid')) ?? `GPU-index-${index}`,
    name: parseNvidiaSmiText(text(gpu, 'product_name')) ?? 'Unknown NVIDIA GPU',
    vramTotalMiB,
    vramUsedMiB: usedVramMiB(numberAt(gpu, 'fb_memory_usage/used'), vramTotalMiB),
    utilizationPct: numberAt(gpu, 'utilization/gpu_util'),
    temperatureC: numberAt(gpu, 'temperature/gpu_temp'),
    powerDrawW: numberAt(gpu, ...POWER_DRAW_PATHS),
    // -q -x never reports it; filled in from `--query-gpu=compute_cap` or the spec table.
    computeCapability: null,
    maxSmClockMHz: numberAt(gpu, 'max_clocks/sm_clock'),
    migEnabled: parseNvidiaSmiText(text(gpu, 'mig_mode/current_mig')) === 'Enabled',
  }
  return {
    device,
    pciDeviceId: pciDeviceId(gpu),
    largestMigInstanceMiB: migSizes.length === 0 ? null : Math.max(...migSizes),
    migInstanceCount: migDevices.length,
  }
}

/**
 * Maps parsed `nvidia-smi -q -x` output to the inventory. Counts `<gpu>` elements, not
 * `attached_gpus`: trimmed or filtered outputs (containers, `CUDA_VISIBLE_DEVICES`) disagree with it.
 */
export function toGpuInventory(document: unknown): GpuInventory {
  const log = isNode(document) ? document.nvidia_smi_log : undefined
  if (!isNode(log)) throw new Error('not an nvidia-smi -q -x document: no <nvidia_smi_log>')
  return {
    driverVersion: parseNvidiaSmiText(text(log, 'driver_version')),
    cudaVersion: parseNvidiaSmiText(text(log, 'cuda_version')),
    gpus: asArray(log.gpu).map((gpu, index) => toInventoryGpu(gpu, index)),
  }
}

/** XML text → inventory. Rejects on malformed XML or a document that is not nvidia-smi's. */
export async function parseGpuInventory(xml: string): Promise<GpuInventory> {
  // With exit 14 nvidia-smi appends `WARNING: infoROM is corrupted at gpu …` after the document.
  const end = xml.lastIndexOf('</nvidia_smi_log>')
  const document = end === -1 ? xml : xml.slice(0, end + '</nvidia_smi_log>'.length)
  return toGpuInventory(await parseNvidiaSmiXml(document))
}
