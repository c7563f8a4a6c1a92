/**
 * Textbook router-side policies: random, least in-flight, weighted least in-flight, power of two
 * choices. Each counts its own in-flight requests (what a proxy knows exactly) and nothing else.
 */
import type { Outcome, RoutedRequest, Router, RouterHost } from './router.js'

export abstract class CountingRouter implements Router {
  abstract readonly name: string
  protected readonly inFlight = new Map<string, number>()

  constructor(protected readonly random: () => number) {}

  addHost(host: RouterHost): void {
    this.inFlight.set(host.id, 0)
  }

  removeHost(_hostId: string): void {}

  route(request: RoutedRequest, candidates: readonly RouterHost[], nowMs: number): string {
    const id = this.pick(request, candidates, nowMs)
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1)
    return id
  }

  observe(outcome: Outcome, _nowMs: number): void {
    this.inFlight.set(outcome.hostId, (this.inFlight.get(outcome.hostId) ?? 1) - 1)
  }

  protected load(host: RouterHost): number {
    return this.inFlight.get(host.id) ?? 0
  }

  /** The candidate with the lowest `cost`; exact ties broken uniformly at random. */
  protected lowest(candidates: readonly RouterHost[], cost: (host: RouterHost) => number): string {
    let best = Number.POSITIVE_INFINITY
    let tied: RouterHost[] = []
    for (const host of candidates) {
      const value = cost(host)
      if (value < best) {
        best = value
        tied = [host]
      } else if (value === best) tied.push(host)
    }
    return (tied[Math.floor(this.random() * tied.length)] as RouterHost).id
  }

  protected abstract pick(request: RoutedRequest, candidates: readonly RouterHost[], nowMs: number): string
}

export class RandomRouter extends CountingRouter {
  readonly name = 'random'
  protected pick(_request: RoutedRequest, candidates: readonly RouterHost[]): string {
    return (candidates[Math.floor(this.random() * candidates.length)] as RouterHost).id
  }
}

export class LeastInFlightRouter extends CountingRouter {
  readonly name = 'least-in-flight'
  protected pick(_request: RoutedRequest, candidates: readonly RouterHost[]): string {
    return this.lowest(candidates, (host) => this.load(host))
  }
}

/** Lowest (in-flight + 1) / registered compute score: the obvious speed-aware baseline. */
export class WeightedLeastInFlightRouter extends CountingRouter {
  readonly name = 'weighted-least-in-flight'
  protected pick(_request: RoutedRequest, candidates: readonly RouterHost[]): string {
    return this.lowest(candidates, (host) => (this.load(host) + 1) / Math.max(0.1, host.registeredScore))
  }
}

/** Two distinct random candidates; the one with fewer in flight (ties: the first drawn). */
export class PowerOfTwoRouter extends CountingRouter {
  readonly name = 'p2c'
  protected pick(_request: RoutedRequest, candidates: readonly RouterHost[]): string {
    if (candidates.length < 2) return (candidates[0] as RouterHost).id
    const first = Math.floor(this.random() * candidates.length)
    let second = Math.floor(this.random() * (candidates.length - 1))
    if (second >= first) second++
    const a = candidates[first] as RouterHost
    const b = candidates[second] as RouterHost
    return this.load(b) < this.load(a) ? b.id : a.id
  }
}
