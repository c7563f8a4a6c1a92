/**
 * The host's GPUs over time: the inventory at start (and again after a failure), live values every
 * interval, and the health of nvidia-smi as a state that is logged only when it changes.
 */
import type { GpuDevice, GpuLiveValues } from '@llm-fleet/types'
import { findGpuSpec } from '../compute-score/gpu-spec-table.js'
import type { Logger } from '../log.js'
import { type GpuInventory, type InventoryGpu, parseGpuInventory } from './parse-gpu-inventory.js'
import { LIVE_QUERY_FIELDS, parseQueryGpuCsv } from './parse-query-gpu-csv.js'
import { type LiveQueryOutcome, QueryGpuLoop } from './query-gpu-loop.js'
import { type NvidiaSmiOutcome, runNvidiaSmi } from './run-nvidia-smi.js'

/**
 * How live values are read. `loop`: one `-lms` child; `per-sample`: one nvidia-smi per sample. The
 * loop measured cheaper (see bench/idle-footprint.ts), so it is the default.
 */
export type LiveQueryMode = 'loop' | 'per-sample'

/** nvidia-smi's health as the agent last saw it. */
export type GpuState =
  | { kind: 'unknown' }
  | { kind: 'ok'; gpuCount: number }
  /** No nvidia-smi binary: a CPU-only host. Final: not retried. */
  | { kind: 'missing'; message: string }
  /** nvidia-smi is there but fails (driver not loaded, version mismatch, hang): retried. */
  | { kind: 'failing'; exitCode: number | null; message: string }

export interface GpuMonitorOptions {
  binary: string
  timeoutMs: number
  intervalMs: number
  log: Logger
  liveQueryMode?: LiveQueryMode
  /** How long to wait before retrying a failed inventory. */
  inventoryRetryMs?: number
  now?: () => number
}

/** A driver that failed is retried this often: a reboot or `modprobe` fixes it without restarting us. */
export const DEFAULT_INVENTORY_RETRY_MS = 60_000

const EMPTY_INVENTORY: GpuInventory = { driverVersion: null, cudaVersion: null, gpus: [] }

export class GpuMonitor {
  readonly #options: GpuMonitorOptions & { now: () => number; inventoryRetryMs: number }
  #inventory: GpuInventory = EMPTY_INVENTORY
  #state: GpuState = { kind: 'unknown' }
  #nextInventoryAtMs = 0
  #loop: QueryGpuLoop | undefined
  /** Bumped whenever the inventory changes, so the push loop knows to register again. */
  #inventoryVersion = 0

  constructor(options: GpuMonitorOptions) {
    this.#options = { now: Date.now, inventoryRetryMs: DEFAULT_INVENTORY_RETRY_MS, ...options }
  }

  get state(): GpuState {
    return this.#state
  }

  get inventory(): GpuInventory {
    return this.#inventory
  }

  get inventoryVersion(): number {
    return this.#inventoryVersion
  }

  /** The devices for the registration. */
  get devices(): GpuDevice[] {
    return this.#inventory.gpus.map((gpu) => gpu.device)
  }

  /** Reads the inventory now. Never throws; the outcome shows in `state`. */
  async refreshInventory(): Promise<void> {
    const { binary, timeoutMs } = this.#options
    this.#nextInventoryAtMs = this.#options.now() + this.#options.inventoryRetryMs
    const outcome = await runNvidiaSmi(['-q', '-x'], { binary, timeoutMs })
    if (outcome.kind !== 'ok') {
      this.#fail(outcome)
      return
    }
    let inventory: GpuInventory
    try {
      inventory = await parseGpuInventory(outcome.stdout)
    } catch (error) {
      this.#setState({ kind: 'failing', exitCode: outcome.exitCode, message: String(error) }, error)
      return
    }
    if (outcome.exitCode !== 0) {
      this.#options.log.warn(
        { exitCode: outcome.exitCode },
        'nvidia-smi warned (infoROM corrupted); using its data',
      )
    }
    await this.#fillComputeCapabilities(inventory)
    this.#setInventory(inventory)
    this.#setState({ kind: 'ok', gpuCount: inventory.gpus.length })
  }

  /**
   * Live values for this interval; [] when there are no usable GPUs. A failure switches to `failing`
   * and the inventory is read again after `inventoryRetryMs`.
   */
  async sampleLive(): Promise<GpuLiveValues[]> {
    const state = this.#state
    if (state.kind === 'missing') return []
    if (state.kind !== 'ok') {
      if (this.#options.now() < this.#nextInventoryAtMs) return []
      await this.refreshInventory()
      if (this.#state.kind !== 'ok') return []
    }
    if (this.#inventory.gpus.length === 0) return []
    const outcome = await this.#queryLive()
    if (outcome.kind === 'ok') return outcome.gpus
    this.#fail(outcome)
    return []
  }

  /** Adopts the coordinator's push interval for the `-lms` child. */
  setIntervalMs(intervalMs: number): void {
    this.#options.intervalMs = intervalMs
    this.#loop?.setIntervalMs(intervalMs)
  }

  /** Stops the `-lms` child, if any. */
  close(): void {
    this.#loop?.stop()
    this.#loop = undefined
  }

  async #queryLive(): Promise<LiveQueryOutcome> {
    const { binary, timeoutMs, intervalMs } = this.#options
    if ((this.#options.liveQueryMode ?? 'loop') === 'loop') {
      this.#loop ??= new QueryGpuLoop({
        binary,
        timeoutMs,
        intervalMs,
        expectedGpuCount: this.#inventory.gpus.length,
        now: this.#options.now,
      })
      return this.#loop.sample()
    }
    const outcome = await runNvidiaSmi(
      [`--query-gpu=${LIVE_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'],
      {
        binary,
        timeoutMs,
      },
    )
    return outcome.kind === 'ok' ? { kind: 'ok', gpus: parseQueryGpuCsv(outcome.stdout) } : outcome
  }

  /**
   * `-q -x` has no compute capability. Drivers ≥ 510 answer `--query-gpu=compute_cap`; older ones
   * exit 2 (`Field "compute_cap" is not a valid field to query.`), and the spec table fills in.
   */
  async #fillComputeCapabilities(inventory: GpuInventory): Promise<void> {
    const { binary, timeoutMs } = this.#options
    const outcome = await runNvidiaSmi(['--query-gpu=index,compute_cap', '--format=csv,noheader,nounits'], {
      binary,
      timeoutMs,
    })
    const reported = new Map<number, string>()
    if (outcome.kind === 'ok') {
      for (const line of outcome.stdout.split(/\r?\n/)) {
        const [index, capability] = line.split(',').map((value) => value.trim())
        if (index !== undefined && capability !== undefined && /^\d{1,2}\.\d{1,2}$/.test(capability)) {
          reported.set(Number(index), capability)
        }
      }
    } else {
      this.#options.log.debug({ outcome: outcome.kind }, 'compute_cap not reported; using the spec table')
    }
    for (const gpu of inventory.gpus) {
      gpu.device.computeCapability =
        reported.get(gpu.device.index) ?? findGpuSpec(withPci(gpu))?.computeCapability ?? null
    }
  }

  #setInventory(inventory: GpuInventory): void {
    const before = JSON.stringify(
      this.#inventory.gpus.map((gpu) => [gpu.device.uuid, gpu.device.name, gpu.device.vramTotalMiB]),
    )
    const after = JSON.stringify(
      inventory.gpus.map((gpu) => [gpu.device.uuid, gpu.device.name, gpu.device.vramTotalMiB]),
    )
    const isChanged = before !== after || this.#inventory.driverVersion !== inventory.driverVersion
    this.#inventory = inventory
    if (isChanged) {
      this.#inventoryVersion += 1
      this.#loop?.stop()
      this.#loop = undefined
    }
  }

  #fail(outcome: Exclude<NvidiaSmiOutcome | LiveQueryOutcome, { kind: 'ok' }>): void {
    if (outcome.kind === 'missing') {
      this.#setInventory(EMPTY_INVENTORY)
      this.#setState({ kind: 'missing', message: outcome.message })
      return
    }
    const message = outcome.kind === 'timeout' ? `timed out after ${outcome.timeoutMs} ms` : outcome.message
    const exitCode = outcome.kind === 'timeout' ? null : outcome.exitCode
    this.#nextInventoryAtMs = this.#options.now() + this.#options.inventoryRetryMs
    this.#setState({ kind: 'failing', exitCode, message })
  }

  /** Logs only transitions: a broken driver must not write a line every 2 seconds. */
  #setState(next: GpuState, error?: unknown): void {
    const previous = this.#state
    this.#state = next
    const log = this.#options.log
    if (next.kind === 'missing' && previous.kind !== 'missing') {
      log.warn(
        { binary: this.#options.binary, reason: next.message },
        'nvidia-smi not found: running as a CPU-only node',
      )
    } else if (next.kind === 'failing') {
      const isSameFailure =
        previous.kind === 'failing' &&
        previous.exitCode === next.exitCode &&
        previous.message === next.message
      if (!isSameFailure) {
        log.error(
          { exitCode: next.exitCode, reason: next.message, ...(error === undefined ? {} : { err: error }) },
          'nvidia-smi failed: pushing CPU metrics only, will retry',
        )
      }
    } else if (next.kind === 'ok' && (previous.kind !== 'ok' || previous.gpuCount !== next.gpuCount)) {
      log.info(
        {
          gpuCount: next.gpuCount,
          driverVersion: this.#inventory.driverVersion,
          gpus: this.devices.map((gpu) => gpu.name),
        },
        'GPU inventory read',
      )
    }
  }
}

function withPci(gpu: InventoryGpu): { name: string; vramTotalMiB: number; pciDeviceId: string | null } {
  return { name: gpu.device.name, vramTotalMiB: gpu.device.vramTotalMiB, pciDeviceId: gpu.pciDeviceId }
}
