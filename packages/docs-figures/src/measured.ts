/**
 * A measured value as a results file may hold it: one number, or the median of several runs with its
 * spread (`{ median, min, max }`), which is what benches should publish.
 */
import { z } from 'zod'
import { significant } from './format.js'

export const Measured = z.union([
  z.number(),
  z.object({ median: z.number(), min: z.number(), max: z.number() }),
])
export type Measured = z.output<typeof Measured>

/** `6.97`, or `6.97 (5.1–8.2)` for a median with its spread. */
export function showMeasured(value: Measured, show: (n: number) => string = significant): string {
  if (typeof value === 'number') return show(value)
  return `${show(value.median)} (${show(value.min)}–${show(value.max)})`
}

/** The figure a comparison reads: the number itself, or the median. */
export function medianOf(value: Measured): number {
  return typeof value === 'number' ? value : value.median
}
