/**
 * Scrapes a coordinator's `GET /metrics` and reads it through a real Prometheus text parser, so a
 * malformed exposition fails the test before any value is compared.
 *
 * parse-prometheus-text-format merges the series of a histogram that has labels into one, losing the
 * labels (its `flattenMetrics`). So histograms are read a second time with their HELP and TYPE lines
 * dropped: each `_bucket`, `_count` and `_sum` series is then a plain sample with its labels.
 */
import parsePrometheusTextFormat, { type PrometheusSample } from 'parse-prometheus-text-format'
import { request } from 'undici'

export interface Scrape {
  /** The raw exposition. */
  readonly text: string
  /** Samples of a family whose labels include `labels`; empty when the family or series is absent. */
  samples(name: string, labels?: Readonly<Record<string, string>>): PrometheusSample[]
  /** Sum of the matching samples' values (counters, gauges); 0 when none match. */
  sum(name: string, labels?: Readonly<Record<string, string>>): number
  /** Sum of the matching histogram series' observation counts. */
  histogramCount(name: string, labels?: Readonly<Record<string, string>>): number
  /** The `le` bounds of the matching histogram's first series, in order. */
  histogramBounds(name: string, labels?: Readonly<Record<string, string>>): string[]
}

export async function scrapeMetrics(baseUrl: string): Promise<Scrape> {
  const response = await request(`${baseUrl}/metrics`)
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`)
  const contentType = String(response.headers['content-type'])
  if (!contentType.startsWith('text/plain; version=0.0.4')) throw new Error(`content-type ${contentType}`)
  const text = await response.body.text()
  const parsed = parsePrometheusTextFormat(text)
  const histograms = new Set(
    parsed.filter((family) => family.type === 'HISTOGRAM').map((family) => family.name),
  )
  const untypedHistograms = text
    .split('\n')
    .filter((line) => !/^# (HELP|TYPE) /.test(line) || !histograms.has(line.split(' ')[2] ?? ''))
    .join('\n')
  // A histogram's series interleave (buckets, sum, count, then the next series): one name, many runs.
  const families = new Map<string, PrometheusSample[]>()
  const add = (name: string, metrics: readonly PrometheusSample[]) =>
    families.set(name, [...(families.get(name) ?? []), ...metrics])
  for (const family of parsed) if (!histograms.has(family.name)) add(family.name, family.metrics)
  for (const family of parsePrometheusTextFormat(untypedHistograms)) {
    const base = family.name.replace(/_(bucket|count|sum)$/, '')
    if (base !== family.name && histograms.has(base)) add(family.name, family.metrics)
  }
  const samples = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    (families.get(name) ?? []).filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value),
    )
  const sum = (name: string, labels?: Readonly<Record<string, string>>) =>
    samples(name, labels).reduce((total, sample) => total + Number(sample.value), 0)
  return {
    text,
    samples,
    sum,
    histogramCount: (name, labels) => sum(`${name}_count`, labels),
    histogramBounds: (name, labels) => {
      const buckets = samples(`${name}_bucket`, labels)
      const first = buckets[0]?.labels ?? {}
      const sameSeries = buckets.filter((sample) =>
        Object.entries(first).every(([key, value]) => key === 'le' || sample.labels?.[key] === value),
      )
      return sameSeries.map((sample) => sample.labels?.le ?? '')
    },
  }
}
