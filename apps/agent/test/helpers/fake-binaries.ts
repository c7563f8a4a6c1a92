/** Small fake nvidia-smi binaries (shell scripts) for the failure modes in FAILURES.md. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'

/** Writes an executable `#!/bin/sh` script and removes it after the test. */
export function writeFakeBinary(body: string, name = 'nvidia-smi'): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-nvsmi-'))
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return path
}

/** FAILURES.md C2: driver/library version mismatch, on stdout, exit 18. */
export const VERSION_MISMATCH_BODY = [
  'echo "Failed to initialize NVML: Driver/library version mismatch"',
  'echo "NVML library version: 535.161"',
  'exit 18',
].join('\n')

/** FAILURES.md C1: driver not loaded, exit 9. */
export const DRIVER_NOT_LOADED_BODY = [
  `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."`,
  'exit 9',
].join('\n')

/** FAILURES.md C3: no devices, exit 6. */
export const NO_DEVICES_BODY = ['echo "No devices were found"', 'exit 6'].join('\n')
