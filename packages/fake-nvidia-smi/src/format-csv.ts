/** PURE: `--query-gpu` rows as nvidia-smi's `--format=csv[,noheader][,nounits]` prints them. */
import type { Capture } from './capture.js'
import { fieldUnit, readField } from './query-fields.js'

export interface CsvFormat {
  readonly header: boolean
  readonly units: boolean
}

/** The XML leaves placeholders bare (`N/A`); the CSV form brackets them (`[N/A]`, `[Not Supported]`). */
export function csvValue(raw: string, field: string, units: boolean): string {
  const bare = raw.replace(/^\[(.*)\]$/, '$1')
  if (bare === 'N/A' || bare === 'Not Supported') return `[${bare}]`
  const unit = fieldUnit(field)
  if (units || unit === undefined) return raw
  return raw.endsWith(` ${unit}`) ? raw.slice(0, -unit.length - 1) : raw
}

export function csvHeader(fields: readonly string[], format: CsvFormat): string {
  return fields
    .map((field) => {
      const unit = fieldUnit(field)
      return format.units && unit !== undefined ? `${field} [${unit}]` : field
    })
    .join(', ')
}

/** One line per GPU, fields in the order asked, joined by `, ` as nvidia-smi does. */
export function csvRows(fields: readonly string[], capture: Capture, format: CsvFormat): string[] {
  return capture.gpus.map((gpu, index) =>
    fields
      .map((field) => csvValue(readField(field, { gpu, index, capture }), field, format.units))
      .join(', '),
  )
}
