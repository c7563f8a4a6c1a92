/** Renders the balancing benchmark's chart: p95 latency against load, one line per strategy, log y. */

export interface ChartRow {
  readonly load: number
  readonly strategy: string
  readonly p95Ms: number
}

const WIDTH = 900
const HEIGHT = 480
const PLOT = { left: 70, right: 560, top: 40, bottom: 410 } as const
const LEGEND_STEP = 20
const COLORS = [
  '#9e9e9e',
  '#ffb300',
  '#00897b',
  '#8d6e63',
  '#7cb342',
  '#1e88e5',
  '#5e35b1',
  '#d81b60',
  '#f4511e',
  '#bcaaa4',
  '#42a5f5',
  '#2e7d32',
  '#e53935',
  '#f48fb1',
  '#6a1b9a',
]

export interface ChartText {
  readonly title: string
  readonly yLabel: string
}

const DEFAULT_TEXT: ChartText = {
  title: 'p95 end-to-end latency vs load (simulated fleet, log scale)',
  yLabel: 'p95 latency',
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return seconds >= 1 ? `${seconds} s` : `${seconds.toFixed(1)} s`
}

/**
 * A self-contained SVG (no fonts or scripts beyond the viewer's sans-serif). `highlight` is drawn
 * thicker and last, so it stays on top.
 */
export function renderP95Chart(
  rows: readonly ChartRow[],
  strategies: readonly string[],
  highlight: string,
  text: ChartText = DEFAULT_TEXT,
): string {
  const loads = [...new Set(rows.map((row) => row.load))].sort((a, b) => a - b)
  const values = rows.map((row) => row.p95Ms).filter((value) => value > 0)
  const minDecade = Math.floor(Math.log10(Math.min(...values)))
  const maxDecade = Math.ceil(Math.log10(Math.max(...values)))
  const minLoad = loads[0] ?? 0
  const maxLoad = loads[loads.length - 1] ?? 1
  const x = (load: number) =>
    PLOT.left + ((load - minLoad) / (maxLoad - minLoad || 1)) * (PLOT.right - PLOT.left)
  const y = (ms: number) =>
    PLOT.bottom - ((Math.log10(ms) - minDecade) / (maxDecade - minDecade || 1)) * (PLOT.bottom - PLOT.top)

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PLOT.left}" y="22" font-size="15" font-weight="bold">${escapeXml(text.title)}</text>`,
  ]
  for (let decade = minDecade; decade <= maxDecade; decade++) {
    for (const factor of [1, 2, 5]) {
      const ms = factor * 10 ** decade
      if (ms > 10 ** maxDecade) continue
      const lineY = y(ms).toFixed(1)
      const stroke = factor === 1 ? '#cccccc' : '#eeeeee'
      parts.push(
        `<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${lineY}" y2="${lineY}" stroke="${stroke}"/>`,
      )
      parts.push(
        `<text x="${PLOT.left - 8}" y="${lineY}" text-anchor="end" dominant-baseline="middle">${formatSeconds(ms)}</text>`,
      )
    }
  }
  for (const load of loads) {
    const lineX = x(load).toFixed(1)
    parts.push(`<line x1="${lineX}" x2="${lineX}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#eeeeee"/>`)
    parts.push(
      `<text x="${lineX}" y="${PLOT.bottom + 18}" text-anchor="middle">${Math.round(load * 100)} %</text>`,
    )
  }
  parts.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888888"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">arrival rate, % of fleet capacity</text>`,
    `<text x="18" y="${(PLOT.top + PLOT.bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})">${escapeXml(text.yLabel)}</text>`,
  )
  const ordered = [...strategies.filter((name) => name !== highlight), highlight]
  for (const name of ordered) {
    const index = strategies.indexOf(name)
    const color = COLORS[index % COLORS.length] as string
    const points = rows
      .filter((row) => row.strategy === name && row.p95Ms > 0)
      .sort((a, b) => a.load - b.load)
      .map((row) => `${x(row.load).toFixed(1)},${y(row.p95Ms).toFixed(1)}`)
    const width = name === highlight ? 4 : 2
    const dash = name.includes('(') ? ' stroke-dasharray="6 4"' : ''
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash}/>`,
    )
    for (const point of points) {
      const [pointX, pointY] = point.split(',')
      parts.push(`<circle cx="${pointX}" cy="${pointY}" r="${width}" fill="${color}"/>`)
    }
  }
  strategies.forEach((name, index) => {
    const color = COLORS[index % COLORS.length] as string
    const legendY = PLOT.top + 10 + index * LEGEND_STEP
    const dash = name.includes('(') ? ' stroke-dasharray="6 4"' : ''
    const width = name === highlight ? 4 : 2
    parts.push(
      `<line x1="${PLOT.right + 20}" x2="${PLOT.right + 50}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="${width}"${dash}/>`,
      `<text x="${PLOT.right + 58}" y="${legendY}" dominant-baseline="middle"${name === highlight ? ' font-weight="bold"' : ''}>${escapeXml(name)}${name === highlight ? ' (default)' : ''}</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
