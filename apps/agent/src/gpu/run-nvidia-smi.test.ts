import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  DRIVER_NOT_LOADED_BODY,
  NO_DEVICES_BODY,
  VERSION_MISMATCH_BODY,
  writeFakeBinary,
} from '../../test/helpers/fake-binaries.js'
import { runNvidiaSmi } from './run-nvidia-smi.js'

/** Whether `pid` is a live process: one that is gone, or a zombie waiting to be reaped, is not (Linux /proc). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('runNvidiaSmi', () => {
  it('reports a missing binary as missing (ENOENT), not as a failure', async () => {
    const outcome = await runNvidiaSmi(['-q', '-x'], { binary: '/nonexistent/nvidia-smi', timeoutMs: 2000 })
    expect(outcome).toMatchObject({ kind: 'missing' })
  })

  it.each([
    ['driver not loaded', DRIVER_NOT_LOADED_BODY, 9, /couldn't communicate with the NVIDIA driver/],
    ['driver/library version mismatch', VERSION_MISMATCH_BODY, 18, /Driver\/library version mismatch/],
    ['no devices', NO_DEVICES_BODY, 6, /No devices were found/],
  ])('reports %s with its exit code and the driver’s message', async (_name, body, exitCode, message) => {
    const outcome = await runNvidiaSmi(['-q', '-x'], { binary: writeFakeBinary(body), timeoutMs: 5000 })
    expect(outcome.kind).toBe('failed')
    if (outcome.kind !== 'failed') return
    expect(outcome.exitCode).toBe(exitCode)
    expect(outcome.message).toMatch(message)
  })

  it('kills a hanging nvidia-smi, including its children, at the timeout', async () => {
    // The script's `sleep` child inherits stdout: killing only the shell would leave it running. The
    // shell writes both pids at once; the timeout leaves it ample time to, on a loaded machine too.
    const binary = writeFakeBinary(
      'pids="$(dirname "$0")/pids"\necho $$ > "$pids"\nsleep 30 &\necho $! >> "$pids"\nwait $!\necho never',
    )
    const outcome = await runNvidiaSmi(['-q', '-x'], { binary, timeoutMs: 2000 })
    expect(outcome).toEqual({ kind: 'timeout', timeoutMs: 2000 })
    const pids = readFileSync(join(dirname(binary), 'pids'), 'utf8')
      .trim()
      .split('\n')
      .map(Number)
    expect(pids).toHaveLength(2)
    await vi.waitFor(() => expect(pids.filter(isRunning)).toEqual([]), { timeout: 5_000 })
  })

  it('uses the output of exit 14 (infoROM corrupted): the data is valid', async () => {
    const binary = writeFakeBinary(
      'echo "0, GPU-a, 1, 2, 3, 4, 5"\necho "WARNING: infoROM is corrupted at gpu 0000:0B:00.0"\nexit 14',
    )
    const outcome = await runNvidiaSmi([], { binary, timeoutMs: 5000 })
    expect(outcome).toMatchObject({ kind: 'ok', exitCode: 14 })
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    const pending = runNvidiaSmi([], {
      binary: writeFakeBinary('sleep 30'),
      timeoutMs: 10_000,
      signal: controller.signal,
    })
    controller.abort()
    await expect(pending).resolves.toMatchObject({ kind: 'failed', message: 'aborted' })
  })
})
