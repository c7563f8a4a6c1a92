/**
 * PURE: what the stand-in prints and its exit code, for a parsed command line, a capture and an
 * optional failure. A loop (`-l`, `-lms`) gets `repeat`: printed every period until the process is
 * killed (the CSV header only once, as nvidia-smi does).
 */
import type { Invocation } from './args.js'
import type { Capture } from './capture.js'
import {
  DRIVER_NOT_LOADED,
  type FailureName,
  INFOROM_CORRUPTED_EXIT_CODE,
  infoRomWarning,
  invalidField,
  NO_DEVICES,
  versionMismatch,
} from './failures.js'
import { csvHeader, csvRows } from './format-csv.js'
import { isValidField } from './query-fields.js'
import { textAt } from './xml.js'

export interface Reply {
  readonly stdout: string
  readonly exitCode: number
  readonly repeat?: { readonly everyMs: number; readonly stdout: string }
}

export interface Host {
  /** The capture the host answers from; null: no driver (exit 9), unless `failure` says otherwise. */
  readonly capture: Capture | null
  readonly failure: FailureName | null
}

function lines(values: readonly string[]): string {
  return values.map((line) => `${line}\n`).join('')
}

/** `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-ab6ab95d-…)`, one line per GPU. */
function listGpus(capture: Capture): string {
  return lines(
    capture.gpus.map(
      (gpu, index) =>
        `GPU ${index}: ${textAt(gpu, 'product_name') ?? 'N/A'} (UUID: ${textAt(gpu, 'uuid') ?? 'N/A'})`,
    ),
  )
}

/** The first output and, for a loop, what follows each period. */
function output(invocation: Invocation, capture: Capture): { first: string; next: string } | Reply {
  switch (invocation.kind) {
    case 'xml':
      return { first: capture.xml, next: capture.xml }
    case 'list':
      return { first: listGpus(capture), next: listGpus(capture) }
    case 'query': {
      const invalid = invocation.fields.find((field) => !isValidField(field, capture))
      if (invalid !== undefined) return invalidField(invalid)
      const rows = lines(csvRows(invocation.fields, capture, invocation.format))
      const header = invocation.format.header ? `${csvHeader(invocation.fields, invocation.format)}\n` : ''
      return { first: header + rows, next: rows }
    }
  }
}

export function respond(invocation: Invocation, host: Host): Reply {
  const { capture, failure } = host
  if (failure === 'driver-not-loaded' || (capture === null && failure === null)) return DRIVER_NOT_LOADED
  if (failure === 'version-mismatch') return versionMismatch(capture?.driverVersion ?? null)
  if (failure === 'no-devices' || capture === null || capture.gpus.length === 0) return NO_DEVICES
  const printed = output(invocation, capture)
  if ('exitCode' in printed) return printed
  const warning =
    failure === 'inforom-corrupted' ? infoRomWarning(capture.gpus[0]?.attributes.id ?? '0000:00:00.0') : ''
  const exitCode = warning === '' ? 0 : INFOROM_CORRUPTED_EXIT_CODE
  const reply = { stdout: printed.first + warning, exitCode }
  return invocation.loopMs === null
    ? reply
    : { ...reply, repeat: { everyMs: invocation.loopMs, stdout: printed.next + warning } }
}
