/** One GPU as the agent sees it through nvidia-smi: static inventory plus the latest live values. */
import { z } from 'zod'
import { MAX_GPUS, MAX_TEXT_LENGTH } from './limits.js'
import { NonNegative, Percent } from './primitives.js'

export const GpuDevice = z.strictObject({
  /** nvidia-smi's device index (0-based). */
  index: z.number().int().min(0).max(1023),
  /** `GPU-…` UUID, or a MIG instance's `MIG-…` UUID. */
  uuid: z.string().min(1).max(MAX_TEXT_LENGTH),
  /** Product name as the driver reports it, e.g. `NVIDIA A100-SXM4-80GB`. */
  name: z.string().min(1).max(MAX_TEXT_LENGTH),
  /** Total framebuffer memory. */
  vramTotalMiB: NonNegative,
  /** Framebuffer memory in use; null where the driver does not report it. */
  vramUsedMiB: NonNegative.nullable(),
  /** GPU utilization; null where unavailable (for example every GPU with MIG enabled). */
  utilizationPct: Percent.nullable(),
  /** GPU core temperature in °C; null where unavailable. */
  temperatureC: z.number().min(-100).max(300).nullable(),
  /** Board power draw in watts; null where unavailable. */
  powerDrawW: NonNegative.nullable(),
  /** CUDA compute capability such as `8.9`; null on drivers older than 510, which cannot report it. */
  computeCapability: z
    .string()
    .regex(/^\d{1,2}\.\d{1,2}$/, 'must look like "8.9"')
    .nullable(),
  /** Highest SM clock in MHz; null where unavailable. */
  maxSmClockMHz: NonNegative.nullable(),
  /** Whether Multi-Instance GPU mode is enabled. */
  migEnabled: z.boolean(),
})
export type GpuDevice = z.infer<typeof GpuDevice>

/**
 * The per-interval part of a GPU, pushed with every metrics sample. The static fields stay in the
 * registration; `index` and `uuid` tie the two together.
 */
export const GpuLiveValues = GpuDevice.pick({
  index: true,
  uuid: true,
  vramTotalMiB: true,
  vramUsedMiB: true,
  utilizationPct: true,
  temperatureC: true,
  powerDrawW: true,
})
export type GpuLiveValues = z.infer<typeof GpuLiveValues>

/**
 * A host's GPUs, each once: `index` ties a pushed GPU to its registered one and names its series in
 * `/metrics`, where two GPUs of one index would collide. A GPU cannot use more VRAM than a total it
 * reports: such a reading would make the node look fuller than full (the agent reports it as unknown).
 */
function gpuList<Gpu extends z.ZodType<{ index: number; vramTotalMiB: number; vramUsedMiB: number | null }>>(
  gpu: Gpu,
) {
  return z
    .array(gpu)
    .max(MAX_GPUS)
    .superRefine((gpus, context) => {
      const seen = new Set<number>()
      gpus.forEach((device, position) => {
        if (seen.has(device.index)) {
          context.addIssue({
            code: 'custom',
            path: [position, 'index'],
            message: `repeats GPU index ${device.index}`,
          })
        }
        seen.add(device.index)
        // A total of 0 is one the driver hid (agents before 2026-11-30 still send a use beside it).
        if (
          device.vramTotalMiB > 0 &&
          device.vramUsedMiB !== null &&
          device.vramUsedMiB > device.vramTotalMiB
        ) {
          context.addIssue({
            code: 'custom',
            path: [position, 'vramUsedMiB'],
            message: `must be at most vramTotalMiB (${device.vramTotalMiB})`,
          })
        }
      })
    })
}

/** The GPUs a registration lists. */
export const GpuDeviceList = gpuList(GpuDevice)

/** The GPUs a metrics push lists. */
export const GpuLiveValuesList = gpuList(GpuLiveValues)
