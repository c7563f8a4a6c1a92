/** Number and table formatting shared by the renderers. */

/** `40000` → `40 000` (the docs' thousands separator); decimals as given. */
export function grouped(value: number, digits = 0): string {
  // Rounds the decimal the JSON holds, half up: 9.485 → 9.49, where toFixed alone gives 9.48 (binary 9.48499…).
  const rounded = Number(`${Math.round(Number(`${Math.abs(value)}e${digits}`))}e-${digits}`)
  const [whole = '', fraction] = rounded.toFixed(digits).split('.')
  const withSpaces = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  return `${value < 0 ? '−' : ''}${withSpaces}${fraction === undefined ? '' : `.${fraction}`}`
}

/** Three significant digits, grouped, no trailing zeros: 0.07319 → 0.0732, 38.81 → 38.8, 24.04 → 24, 1144.7 → 1 145. */
export function significant(value: number): string {
  if (value === 0) return '0'
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))))
  const text = grouped(value, digits)
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text
}

/** A markdown table; `align` is one of 'l' or 'r' per column. Cells are escaped for `|`. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|').replaceAll('\n', ' ')
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`
  const rule = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'))
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n')
}

/** `a`, `a and b`, `a, b and c`. */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}
