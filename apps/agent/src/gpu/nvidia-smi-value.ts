/** PURE: nvidia-smi's value spellings (`81920 MiB`, `35 C`, `[N/A]`, `[Not Supported]`) to numbers or null. */

/**
 * Parses a number with an optional unit suffix. Every spelling of "not available" that nvidia-smi
 * uses (`N/A`, `[N/A]`, `[Not Supported]`, `Requested functionality has been deprecated`, `Unknown
 * Error`…) becomes null, never 0: a GPU that cannot report its power draws more than 0 W.
 */
export function parseNvidiaSmiNumber(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(?:[A-Za-z%]+)?\s*$/.exec(raw)
  if (match === null) return null
  const value = Number(match[1])
  return Number.isFinite(value) ? value : null
}

/** Text fields: null where nvidia-smi says the value is unavailable or the field is empty. */
export function parseNvidiaSmiText(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null
  const text = raw.trim()
  if (text === '') return null
  // Bracketed values are nvidia-smi's placeholders (`[N/A]`, `[Not Supported]`, `[Unknown Error]`).
  if (/^\[.*\]$/.test(text) || text === 'N/A' || text === 'Not Supported') return null
  return text
}

/**
 * VRAM in use as the wire schema takes it: null (unknown) where the reading exceeds the total, which
 * happens where the driver hides the total (read as 0) but not the use. The coordinator refuses a GPU
 * that uses more than a total it reports.
 */
export function usedVramMiB(used: number | null, total: number): number | null {
  return used !== null && used > total ? null : used
}
