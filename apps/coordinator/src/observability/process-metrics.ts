/**
 * The coordinator process's own metrics (CPU, memory, event-loop lag, GC, handles) beside the fleet's.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client'

/**
 * prom-client's defaults that break Prometheus' naming rules: gauges with the `_total` suffix reserved
 * for counters (`promtool check metrics` flags them). Each duplicates the sum of its per-type sibling,
 * e.g. `sum without (type) (nodejs_active_handles)`; prom-client keeps them only for compatibility
 * (prometheus/client_js#283), and `collectDefaultMetrics` has no switch for single collectors, so
 * they are removed after registration through the registry's documented `removeSingleMetric`.
 */
export const OMITTED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const

/** Registers prom-client's default process metrics on `registry`, less `OMITTED_DEFAULT_METRICS`. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry })
  for (const name of OMITTED_DEFAULT_METRICS) registry.removeSingleMetric(name)
}
