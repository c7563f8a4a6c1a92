/**
 * PURE: how nvidia-smi fails, word for word, with its exit codes (fixtures/nvidia-smi/FAILURES.md;
 * the codes are NVML's `nvmlReturn_t`). Chosen with `FAKE_NVSMI_FAILURE=<name>`.
 */

export const FAILURE_NAMES = [
  'driver-not-loaded',
  'version-mismatch',
  'no-devices',
  'inforom-corrupted',
] as const
export type FailureName = (typeof FAILURE_NAMES)[number]

export function isFailureName(value: string): value is FailureName {
  return (FAILURE_NAMES as readonly string[]).includes(value)
}

/** C1: also what the stand-in answers without a capture, as on a host without a loaded driver. */
export const DRIVER_NOT_LOADED = {
  exitCode: 9,
  stdout:
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
}

/** C2: after a driver upgrade without a reboot; recent drivers add the library's version. */
export function versionMismatch(libraryVersion: string | null) {
  const second = libraryVersion === null ? '' : `NVML library version: ${libraryVersion}\n`
  return { exitCode: 18, stdout: `Failed to initialize NVML: Driver/library version mismatch\n${second}` }
}

/** C3 */
export const NO_DEVICES = { exitCode: 6, stdout: 'No devices were found\n' }

/** C5: printed after the normal output, which stays valid; the exit code is 14. */
export const INFOROM_CORRUPTED_EXIT_CODE = 14
export function infoRomWarning(busId: string): string {
  // The warning names the bus id with a 4-digit PCI domain (`0000:00:1E.0`); the XML has 8 digits.
  return `WARNING: infoROM is corrupted at gpu ${busId.replace(/^0000(?=[0-9A-Fa-f]{4}:)/, '')}\n`
}

/** C6: an unknown field, or `compute_cap` on a driver older than 510; followed by an empty line. */
export function invalidField(field: string) {
  return { exitCode: 2, stdout: `Field "${field}" is not a valid field to query.\n\n` }
}
