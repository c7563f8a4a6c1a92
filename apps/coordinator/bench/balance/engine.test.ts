/** The benchmark run as a whole: completeness, determinism, and the seam's blindness to the world. */
import { seededRandom } from '@llm-fleet/mock-runtime'
import { describe, expect, it } from 'vitest'
import { COMPARED_ROUTERS, comparedRouter, DEFAULT_REPLICA, QUEUED_DEFAULT } from './compared-routers.js'
import { runOnce } from './engine.js'
import { LlmFleetRouter, registrationFor } from './llm-fleet-router.js'
import type { Outcome, PushedSample, RoutedRequest, Router, RouterHost } from './routers/router.js'
import { figuresOf } from './stats.js'
import { agentReport } from './world/agent-report.js'
import { FLEET } from './world/fleet-spec.js'
import { drawWorld } from './world/hidden.js'

const BASE = { workload: 'chat' as const, load: 0.5, seed: 11, requests: 300 }

describe('runOnce', () => {
  it.each(COMPARED_ROUTERS.map((router) => [router.name, router] as const))(
    '%s: every request completes exactly once on a host that lists its model',
    (_name, router) => {
      const result = runOnce({ ...BASE, workload: 'long-tail', makeRouter: router.make })
      expect(result.completions.length).toBeGreaterThan(200)
      expect([...result.completions].every((count) => count === 1)).toBe(true)
      expect(result.ttftMs.length).toBe(result.e2eMs.length)
      expect(result.ttftMs.every((ms) => ms > 0)).toBe(true)
      const shares = Object.values(result.shareByClass).reduce((sum, share) => sum + share, 0)
      expect(shares).toBeCloseTo(1, 9)
    },
  )

  it("runs the default's replica to completion, and its order of exact ties moves the figures", () => {
    const run = { ...BASE, workload: 'agentic' as const }
    const replica = runOnce({ ...run, makeRouter: DEFAULT_REPLICA.make })
    expect([...replica.completions].every((count) => count === 1)).toBe(true)
    const original = runOnce({ ...run, makeRouter: comparedRouter('llm-fleet:fastest-finish').make })
    expect(JSON.stringify(figuresOf(replica))).not.toBe(JSON.stringify(figuresOf(original)))
    expect(
      () => new LlmFleetRouter({ mode: 'spec', pushIntervalMs: 1000, random: Math.random, firstTieTurn: 1 }),
    ).toThrow('firstTieTurn is for fastest-finish, not spec')
  })

  it('serves every request a router holds (QUEUE_WHEN_BUSY), at its host from when it was let go', () => {
    /** When the router first held each request: its arrival, as routing happens on arrival. */
    const firstHeldMs = new Map<number, number>()
    const dispatchedLater: boolean[] = []
    const result = runOnce({
      ...BASE,
      load: 0.95,
      makeRouter: (random) => {
        const router = QUEUED_DEFAULT.make(random)
        const route = router.route.bind(router)
        router.route = (request, candidates, nowMs) => {
          const chosen = route(request, candidates, nowMs)
          if (chosen === null && !firstHeldMs.has(request.id)) firstHeldMs.set(request.id, nowMs)
          return chosen
        }
        return router
      },
      onRequestDone: (job) => {
        const heldAt = firstHeldMs.get(job.id)
        if (heldAt !== undefined) dispatchedLater.push(job.arrivalMs > heldAt)
      },
    })
    expect(firstHeldMs.size).toBeGreaterThan(0)
    expect(dispatchedLater).toHaveLength(firstHeldMs.size)
    expect(dispatchedLater.every(Boolean)).toBe(true)
    expect([...result.completions].every((count) => count === 1)).toBe(true)
  })

  it('is byte-identical for a seed, and the seed matters', () => {
    const make = comparedRouter('llm-fleet:fastest-finish').make
    const once = JSON.stringify(figuresOf(runOnce({ ...BASE, makeRouter: make })))
    expect(JSON.stringify(figuresOf(runOnce({ ...BASE, makeRouter: make })))).toBe(once)
    expect(JSON.stringify(figuresOf(runOnce({ ...BASE, seed: 12, makeRouter: make })))).not.toBe(once)
  })

  it('TTFT never exceeds the end-to-end time', () => {
    const result = runOnce({ ...BASE, workload: 'rag', makeRouter: comparedRouter('llm-d').make })
    // Both arrays are sorted, each on its own. When every request's TTFT is at most its e2e, the k-th
    // smallest TTFT is at most the k-th smallest e2e, for every k.
    expect(result.ttftMs.length).toBeGreaterThan(200)
    const later = [...result.ttftMs].filter((ms, k) => ms > (result.e2eMs[k] as number))
    expect(later).toEqual([])
  })
})

describe('the llm-fleet seam', () => {
  it('registers the same thing whatever the hidden factors are', () => {
    const worldA = drawWorld(FLEET, seededRandom(1))
    const worldB = drawWorld(FLEET, seededRandom(2))
    expect(worldA).not.toEqual(worldB)
    // agentReport takes the operator-visible spec only: the factors are not even a parameter.
    const registrations = FLEET.map((spec) =>
      registrationFor({ id: spec.name, report: agentReport(spec), registeredScore: 0, models: new Set() }),
    )
    expect(registrations.find((r) => r.hostname === 'h100x8')?.computeScore).toBe(3472)
    expect(registrations.find((r) => r.hostname === 'h100x8')?.maxConcurrency).toBe(4)
    expect(registrations.find((r) => r.hostname === 'h100x8')?.gpus).toHaveLength(8)
  })

  it('is handed the same host descriptions in two worlds that differ only in hidden factors', () => {
    const inputs = (seedOfWorld: number) => {
      const log: string[] = []
      const spy = (inner: Router): Router => ({
        name: inner.name,
        addHost: (host: RouterHost, now: number) => {
          log.push(
            `add ${Object.keys(host).sort().join(',')} ${JSON.stringify(host.report)} ${host.registeredScore}`,
          )
          inner.addHost(host, now)
        },
        removeHost: (id: string, now: number) => inner.removeHost(id, now),
        route: (request: RoutedRequest, candidates: readonly RouterHost[], now: number) => {
          log.push(`route ${request.id} ${request.model} ${request.promptTokens} ${now}`)
          return inner.route(request, candidates, now)
        },
        observe: (outcome: Outcome, now: number) => inner.observe(outcome, now),
        push: (id: string, sample: PushedSample, now: number) => inner.push?.(id, sample, now),
      })
      runOnce({
        ...BASE,
        requests: 200,
        factors: drawWorld(FLEET, seededRandom(seedOfWorld)),
        makeRouter: (random) =>
          spy(new LlmFleetRouter({ mode: 'fastest-finish', pushIntervalMs: 2_000, random })),
      })
      return log.filter((line) => line.startsWith('add '))
    }
    expect(inputs(1)).toEqual(inputs(2))
  })
})
