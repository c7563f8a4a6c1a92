/**
 * The `pnpm bench:ha` figures as the Markdown table in docs/deploy.md, between
 * `<!-- ha-results:start -->` and `<!-- ha-results:end -->`: the bench writes it, and a test checks the
 * page against bench/results/ha.json, so the text never drifts from the results.
 */

interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

/** The part of ha.json the table shows. */
export interface HaResults {
  readonly settings: {
    readonly pushIntervalMs: number
    readonly crashOutageMs: number
    readonly runs: number
  }
  readonly plannedRestartFailed: Spread
  readonly crashFailed: number
  readonly crashStreamsInFlight: number
  readonly rejoinMs: number
  readonly maxInFlightOverLimit: number
  readonly p50Ms: { readonly single: Record<string, Spread>; readonly shared: Record<string, Spread> }
}

export const HA_TABLE_START = '<!-- ha-results:start -->'
export const HA_TABLE_END = '<!-- ha-results:end -->'

const range = (spread: Spread | undefined) =>
  spread === undefined ? 'n/a' : `${spread.median} (${spread.min}–${spread.max})`

export function renderHaTable(results: HaResults): string {
  const { settings } = results
  const rows = [
    '| measure | result |',
    '| --- | --- |',
    `| planned restart (SIGTERM, then start), failed requests, median (min–max) of ${settings.runs} | ${range(results.plannedRestartFailed)} |`,
    `| crash (kill -9, ${settings.crashOutageMs / 1000} s outage): failed requests / requests HAProxy had on it | ${results.crashFailed} / ${results.crashStreamsInFlight} |`,
    `| restarted coordinator has every node after (push interval ${settings.pushIntervalMs} ms) | ${results.rejoinMs} ms |`,
    `| most requests a node ran over its MAX_CONCURRENCY (2 coordinators, shared counts) | ${results.maxInFlightOverLimit} |`,
    ...Object.keys(results.p50Ms.single).map(
      (clients) =>
        `| median latency at ${clients} clients, ms: one coordinator / two sharing counts | ${range(results.p50Ms.single[clients])} / ${range(results.p50Ms.shared[clients])} |`,
    ),
  ]
  return rows.join('\n')
}

/** `page` with the table between the markers replaced. @throws Error when the markers are missing. */
export function replaceHaTable(page: string, table: string): string {
  const start = page.indexOf(HA_TABLE_START)
  const end = page.indexOf(HA_TABLE_END)
  if (start === -1 || end < start) throw new Error(`docs/deploy.md lacks ${HA_TABLE_START} … ${HA_TABLE_END}`)
  return `${page.slice(0, start + HA_TABLE_START.length)}\n${table}\n${page.slice(end)}`
}
