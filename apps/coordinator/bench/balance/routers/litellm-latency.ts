/**
 * LiteLLM's latency-based routing (`routing_strategy="latency-based-routing"`), as in BerriAI/litellm
 * `litellm/router_strategy/lowest_latency.py` (LowestLatencyLoggingHandler):
 * - on success, per (model group, deployment) it appends response time ÷ completion tokens (seconds)
 *   to a list kept to the last `max_latency_list_size` = 10 values (TTL 1 h, longer than a run);
 * - a deployment with no record yet counts as latency 0, so every deployment is tried first;
 * - deployments are shuffled, then the lowest mean latency wins (`lowest_latency_buffer` = 0).
 * Non-streaming requests, so the TTFT list is not used. No in-flight or host metrics are consulted.
 */
import type { Outcome, RoutedRequest, Router, RouterHost } from './router.js'

const MAX_LATENCY_LIST_SIZE = 10

export class LiteLlmLatencyRouter implements Router {
  readonly name = 'litellm-latency'
  private readonly latencies = new Map<string, number[]>()

  constructor(private readonly random: () => number) {}

  addHost(): void {}
  removeHost(): void {}

  route(request: RoutedRequest, candidates: readonly RouterHost[]): string {
    const shuffled = [...candidates]
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      const held = shuffled[i] as RouterHost
      shuffled[i] = shuffled[j] as RouterHost
      shuffled[j] = held
    }
    let best = (shuffled[0] as RouterHost).id
    let lowest = Number.POSITIVE_INFINITY
    for (const host of shuffled) {
      const list = this.latencies.get(`${request.model}\u0000${host.id}`)
      const mean = list === undefined ? 0 : list.reduce((sum, value) => sum + value, 0) / list.length
      if (mean < lowest) {
        lowest = mean
        best = host.id
      }
    }
    return best
  }

  observe(outcome: Outcome): void {
    const key = `${outcome.model}\u0000${outcome.hostId}`
    const list = this.latencies.get(key) ?? []
    const seconds = outcome.e2eMs / 1000
    list.push(outcome.outputTokens > 0 ? seconds / outcome.outputTokens : seconds)
    if (list.length > MAX_LATENCY_LIST_SIZE) list.shift()
    this.latencies.set(key, list)
  }
}
