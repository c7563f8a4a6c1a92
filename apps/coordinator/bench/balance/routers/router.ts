/**
 * What every compared router sees and does. A router is a router-side policy with its own state: it
 * sees what a real router of its kind sees (the registrations, its own in-flight counts, the
 * request's model and prompt blocks, each completed request's observable outcome, and — only where
 * the original scrapes them — host metrics refreshed at its scrape interval). It never sees the
 * world's hidden factors.
 */

import type { AgentReport } from '../world/agent-report.js'

/** A host as a router knows it: what its agent reports, and the models it lists. */
export interface RouterHost {
  readonly id: string
  readonly report: AgentReport
  /** What the agent registers (apps/agent computeHostScore: the sum over GPUs). */
  readonly registeredScore: number
  readonly models: ReadonlySet<string>
}

export interface RoutedRequest {
  readonly id: number
  readonly model: string
  readonly promptTokens: number
  /** Chain ids of the prompt's blocks (see world/workloads.ts). */
  readonly promptBlocks: Int32Array
}

/**
 * What a proxy sees when a request completes: status, times, token counts, and the timing fields an
 * Ollama answer carries (nanoseconds, as Ollama sends them).
 */
export interface Outcome {
  readonly requestId: number
  readonly hostId: string
  readonly model: string
  readonly status: 200
  readonly ttftMs: number
  readonly e2eMs: number
  readonly promptTokens: number
  readonly outputTokens: number
  readonly ollama: {
    readonly total_duration: number
    readonly load_duration: number
    readonly prompt_eval_count: number
    readonly prompt_eval_duration: number
    readonly eval_count: number
    readonly eval_duration: number
  }
}

/** Host metrics as a Prometheus-scraping router reads them (vLLM-style gauges). */
export interface ScrapedMetrics {
  readonly running: number
  readonly waiting: number
  /** KV cache usage, 0–1. */
  readonly kvUsage: number
}

/** Agent-pushed metrics the engine hands to routers that take pushes (llm-fleet). */
export interface PushedSample {
  readonly activeRequests: number
  /** nvidia-smi utilization over the push interval, 0–100. */
  readonly gpuUtilPct: number
  readonly cpuPct: number
  readonly gpuMemoryPct: number
  readonly loadedModels: readonly string[]
}

export interface Router {
  readonly name: string
  /** Milliseconds between metric scrapes; undefined when the router scrapes nothing. */
  readonly scrapeIntervalMs?: number
  addHost(host: RouterHost, nowMs: number): void
  /** The host leaves (drains): no new requests. */
  removeHost(hostId: string, nowMs: number): void
  /**
   * Picks among `candidates` (hosts listing the model); returns the chosen host's id, or null to hold
   * the request in the router's own queue: the engine offers it again whenever a request ends.
   */
  route(request: RoutedRequest, candidates: readonly RouterHost[], nowMs: number): string | null
  observe(outcome: Outcome, nowMs: number): void
  /** The first byte of request `requestId`'s answer passed the router (a proxy sees it stream by). */
  firstToken?(requestId: number, nowMs: number): void
  scrape?(hostId: string, metrics: ScrapedMetrics, nowMs: number): void
  push?(hostId: string, sample: PushedSample, nowMs: number): void
}
