/**
 * PURE: the `--query-gpu` fields the stand-in knows, each read from the capture the way nvidia-smi
 * fills it from the same data (`nvidia-smi --help-query-gpu`). Values keep the XML's spelling
 * (`81559 MiB`, `0 %`, `70.93 W`, `1980 MHz`); the CSV formatter brackets placeholders and drops units.
 */
import { type Capture, driverMajor } from './capture.js'
import { computeCapability } from './compute-capability.js'
import { textAt, type XmlElement } from './xml.js'

/** What one field needs: the GPU, its position and the whole capture. */
interface FieldContext {
  readonly gpu: XmlElement
  readonly index: number
  readonly capture: Capture
}

interface QueryField {
  /** The unit nvidia-smi adds to the header (`memory.total [MiB]`); none for counts, text and °C. */
  readonly unit?: string
  read(context: FieldContext): string | undefined
}

const NOT_AVAILABLE = 'N/A'

function isAvailable(value: string | undefined): value is string {
  return value !== undefined && value !== '' && !/^\[?(N\/A|Not Supported)\]?$/.test(value)
}

/**
 * The first of `paths` that holds a value; else what the first present one says (`N/A`, `Not
 * Supported`). Real 590 drivers print `power.draw` as the average, and as the instant reading where
 * the average is `[N/A]` (fixtures/nvidia-smi/csv: H100 and L40S vs the RTX 2080 SUPER).
 */
function firstAvailable(gpu: XmlElement, ...paths: string[]): string | undefined {
  const values = paths.map((path) => textAt(gpu, path))
  return values.find(isAvailable) ?? values.find((value) => value !== undefined)
}

function at(path: string): QueryField['read'] {
  return ({ gpu }) => textAt(gpu, path)
}

/** `33 C` → `33`: nvidia-smi prints temperatures without a unit in CSV, even without `nounits`. */
function celsius(path: string): QueryField['read'] {
  return ({ gpu }) => textAt(gpu, path)?.replace(/\s*C$/, '')
}

const NAME: QueryField = { read: at('product_name') }
const UUID: QueryField = { read: at('uuid') }
const BUS_ID: QueryField = { read: ({ gpu }) => gpu.attributes.id ?? textAt(gpu, 'pci/pci_bus_id') }

export const QUERY_FIELDS: ReadonlyMap<string, QueryField> = new Map<string, QueryField>([
  ['index', { read: ({ index }) => String(index) }],
  ['count', { read: ({ capture }) => String(capture.gpus.length) }],
  ['name', NAME],
  ['gpu_name', NAME],
  ['uuid', UUID],
  ['gpu_uuid', UUID],
  ['serial', { read: at('serial') }],
  ['pci.bus_id', BUS_ID],
  ['gpu_bus_id', BUS_ID],
  ['driver_version', { read: ({ capture }) => capture.driverVersion ?? NOT_AVAILABLE }],
  ['pstate', { read: at('performance_state') }],
  ['fan.speed', { unit: '%', read: at('fan_speed') }],
  ['memory.total', { unit: 'MiB', read: at('fb_memory_usage/total') }],
  ['memory.used', { unit: 'MiB', read: at('fb_memory_usage/used') }],
  ['memory.free', { unit: 'MiB', read: at('fb_memory_usage/free') }],
  ['utilization.gpu', { unit: '%', read: at('utilization/gpu_util') }],
  ['utilization.memory', { unit: '%', read: at('utilization/memory_util') }],
  ['temperature.gpu', { read: celsius('temperature/gpu_temp') }],
  [
    'power.draw',
    {
      unit: 'W',
      read: ({ gpu }) =>
        firstAvailable(
          gpu,
          'gpu_power_readings/power_draw',
          'gpu_power_readings/average_power_draw',
          'gpu_power_readings/instant_power_draw',
          'power_readings/power_draw',
        ),
    },
  ],
  ['power.draw.average', { unit: 'W', read: at('gpu_power_readings/average_power_draw') }],
  ['power.draw.instant', { unit: 'W', read: at('gpu_power_readings/instant_power_draw') }],
  [
    'power.limit',
    {
      unit: 'W',
      read: ({ gpu }) =>
        firstAvailable(gpu, 'gpu_power_readings/current_power_limit', 'power_readings/power_limit'),
    },
  ],
  ['clocks.sm', { unit: 'MHz', read: at('clocks/sm_clock') }],
  ['clocks.current.sm', { unit: 'MHz', read: at('clocks/sm_clock') }],
  ['clocks.mem', { unit: 'MHz', read: at('clocks/mem_clock') }],
  ['clocks.current.memory', { unit: 'MHz', read: at('clocks/mem_clock') }],
  ['clocks.max.sm', { unit: 'MHz', read: at('max_clocks/sm_clock') }],
  ['clocks.max.memory', { unit: 'MHz', read: at('max_clocks/mem_clock') }],
  ['mig.mode.current', { read: at('mig_mode/current_mig') }],
  ['compute_cap', { read: ({ gpu }) => computeCapability(textAt(gpu, 'product_name') ?? '') }],
])

/** The first driver that knows `compute_cap`; older ones reject the field (FAILURES.md, C6). */
export const COMPUTE_CAP_MIN_DRIVER = 510

/** Whether this capture's driver would accept `field` in `--query-gpu`. */
export function isValidField(field: string, capture: Capture): boolean {
  if (!QUERY_FIELDS.has(field)) return false
  if (field !== 'compute_cap') return true
  const major = driverMajor(capture)
  return major === null || major >= COMPUTE_CAP_MIN_DRIVER
}

/** The raw value (XML spelling; `N/A` where the capture has no such element). */
export function readField(field: string, context: FieldContext): string {
  const value = QUERY_FIELDS.get(field)?.read(context)
  return value === undefined || value === '' ? NOT_AVAILABLE : value
}

export function fieldUnit(field: string): string | undefined {
  return QUERY_FIELDS.get(field)?.unit
}
