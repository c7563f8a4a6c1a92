import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { captureLog } from '../../test/helpers/capture-log.js'
import { VERSION_MISMATCH_BODY, writeFakeBinary } from '../../test/helpers/fake-binaries.js'
import { FAKE_NVIDIA_SMI, xmlFixturePath } from '../../test/helpers/fixtures.js'
import { GpuMonitor, type LiveQueryMode } from './gpu-monitor.js'

/** A wrapper around the stand-in nvidia-smi (packages/fake-nvidia-smi) answering from one capture. */
function fakeNvidiaSmi(capture: string): string {
  return writeFakeBinary(`FAKE_NVSMI_XML='${xmlFixturePath(capture)}' exec '${FAKE_NVIDIA_SMI}' "$@"`)
}

const monitors: GpuMonitor[] = []
afterEach(() => {
  for (const monitor of monitors.splice(0)) monitor.close()
})

function createMonitor(binary: string, options: { liveQueryMode?: LiveQueryMode; now?: () => number } = {}) {
  const captured = captureLog()
  const monitor = new GpuMonitor({
    binary,
    timeoutMs: 5000,
    intervalMs: 200,
    log: captured.log,
    inventoryRetryMs: 1000,
    ...options,
  })
  monitors.push(monitor)
  return { monitor, captured }
}

describe('GpuMonitor with real captures (fake nvidia-smi)', () => {
  it.each<LiveQueryMode>(['loop', 'per-sample'])(
    'reads the 8-GPU H100 host and its live values (%s)',
    async (mode) => {
      const { monitor } = createMonitor(fakeNvidiaSmi('gpuid__h100.xml'), { liveQueryMode: mode })
      await monitor.refreshInventory()
      expect(monitor.state).toEqual({ kind: 'ok', gpuCount: 8 })
      // Drivers ≥ 510 report compute_cap themselves.
      expect(monitor.devices.map((gpu) => gpu.computeCapability)).toEqual(Array(8).fill('9.0'))
      const live = await monitor.sampleLive()
      expect(live).toHaveLength(8)
      expect(live[0]).toEqual({
        index: 0,
        uuid: 'GPU-ab6ab95d-8259-5551-5962-e4a7a710fbae',
        utilizationPct: 0,
        vramUsedMiB: 1,
        vramTotalMiB: 81559,
        temperatureC: 33,
        powerDrawW: 70.93,
      })
    },
  )

  it('falls back to the spec table for compute capability on drivers older than 510 (exit 2)', async () => {
    const { monitor } = createMonitor(fakeNvidiaSmi('pai__nvidia_smi_sample.xml'))
    await monitor.refreshInventory()
    expect(monitor.devices.map((gpu) => [gpu.name, gpu.computeCapability])).toEqual([
      ['GeForce GTX 1070', '6.1'],
      ['GeForce GTX 1070', '6.1'],
    ])
  })

  it('identifies "Graphics Device" by its PCI id', async () => {
    const { monitor } = createMonitor(fakeNvidiaSmi('telegraf__gtx-1660-ti.xml'))
    await monitor.refreshInventory()
    expect(monitor.devices[0]).toMatchObject({ name: 'Graphics Device', computeCapability: '7.5' })
  })
})

describe('GpuMonitor failure modes', () => {
  it('treats a missing nvidia-smi as a CPU-only host and warns once', async () => {
    const { monitor, captured } = createMonitor('/nonexistent/nvidia-smi')
    await monitor.refreshInventory()
    for (let i = 0; i < 3; i++) expect(await monitor.sampleLive()).toEqual([])
    expect(monitor.state.kind).toBe('missing')
    expect(monitor.devices).toEqual([])
    expect(captured.find(/not found/)).toHaveLength(1)
    expect(captured.lines.filter((line) => line.level >= 40)).toHaveLength(1)
  })

  it('logs a failing driver once, keeps answering [], and retries the inventory later', async () => {
    // The "driver" is fixed when a flag file appears, as after a reboot.
    const flagBinary = writeFakeBinary(
      `if [ -f "$(dirname "$0")/fixed" ]; then FAKE_NVSMI_XML='${xmlFixturePath('telegraf__tesla-t4.xml')}' exec '${FAKE_NVIDIA_SMI}' "$@"; fi\n${VERSION_MISMATCH_BODY}`,
    )
    let nowMs = 0
    const { monitor, captured } = createMonitor(flagBinary, { now: () => nowMs, liveQueryMode: 'per-sample' })
    await monitor.refreshInventory()
    expect(monitor.state).toMatchObject({ kind: 'failing', exitCode: 18 })
    for (let i = 0; i < 3; i++) {
      nowMs += 1500 // past the retry interval: each sample retries and fails the same way
      expect(await monitor.sampleLive()).toEqual([])
    }
    const errors = captured.find(/nvidia-smi failed/)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ exitCode: 18, reason: expect.stringMatching(/version mismatch/) })

    writeFileSync(join(dirname(flagBinary), 'fixed'), '')
    expect(existsSync(join(dirname(flagBinary), 'fixed'))).toBe(true)
    nowMs += 1500
    const versionBefore = monitor.inventoryVersion
    const live = await monitor.sampleLive()
    expect(monitor.state).toEqual({ kind: 'ok', gpuCount: 1 })
    expect(live).toHaveLength(1)
    expect(monitor.inventoryVersion).toBeGreaterThan(versionBefore)
    expect(captured.find(/GPU inventory read/)).toHaveLength(1)
  })

  it('does not retry before the retry interval', async () => {
    let nowMs = 0
    const binary = writeFakeBinary(`echo call >> "$(dirname "$0")/calls"\n${VERSION_MISMATCH_BODY}`)
    const { monitor } = createMonitor(binary, { now: () => nowMs })
    await monitor.refreshInventory()
    nowMs += 500
    await monitor.sampleLive()
    expect(
      readFileSync(join(dirname(binary), 'calls'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(1)
  })

  it('reports a hanging nvidia-smi as failing at the timeout', async () => {
    const monitor = new GpuMonitor({
      binary: writeFakeBinary('sleep 30'),
      timeoutMs: 300,
      intervalMs: 200,
      log: captureLog().log,
    })
    monitors.push(monitor)
    // That the process and its children are killed is runNvidiaSmi's test.
    await monitor.refreshInventory()
    expect(monitor.state).toMatchObject({ kind: 'failing', message: 'timed out after 300 ms' })
  })

  it('uses the data of exit 14 (infoROM corrupted)', async () => {
    const binary = writeFakeBinary(
      `FAKE_NVSMI_XML='${xmlFixturePath('telegraf__tesla-t4.xml')}' '${FAKE_NVIDIA_SMI}' "$@"\necho "WARNING: infoROM is corrupted at gpu 0000:00:1E.0"\nexit 14`,
    )
    const { monitor, captured } = createMonitor(binary, { liveQueryMode: 'per-sample' })
    await monitor.refreshInventory()
    expect(monitor.state).toEqual({ kind: 'ok', gpuCount: 1 })
    expect(monitor.devices[0]?.name).toBe('Tesla T4')
    expect(await monitor.sampleLive()).toHaveLength(1)
    expect(captured.find(/infoROM/)).toHaveLength(1)
  })
})
