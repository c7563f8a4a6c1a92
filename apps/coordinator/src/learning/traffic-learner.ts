/**
 * TrafficLearner: feeds the default balancer's FleetKnowledge and PrefixIndex from the traffic the
 * coordinator proxies, as a ProxyObserver. Per attempt it notes where the model and the prompt's
 * prefix now live; per answered request it keeps only references to the body's last chunks and,
 * when the body ends, reads the runtime's own usage numbers from them (runtime-usage.ts). It also
 * learns residency from the agents' pushes and forgets a node that leaves.
 */
import { BYTES_PER_TOKEN } from '../core/balancer/finish-estimate.js'
import type { SelectionReason } from '../core/balancer/selection.js'
import type { RequestProbe } from '../core/balancer/strategy.js'
import type { CompletionSample, FleetKnowledge } from '../core/learning/fleet-knowledge.js'
import { PREFIX_BLOCK_BYTES, type PrefixIndex, prefixBlockHashes } from '../core/learning/prefix-index.js'
import type { NodeView } from '../core/node-view.js'
import type {
  AttemptRequest,
  ObservedResponse,
  ProxiedRecord,
  ProxyObserver,
  RejectedRecord,
  ResponseTap,
} from '../proxy/proxy-observer.js'
import type { IngestedMetrics, RegisteredNode, RemovedNode } from '../registry/registry-events.js'
import { IMAGE_PROMPT_TOKENS, type InlineMedia, NO_MEDIA, prefixTokens } from './inline-media.js'
import { type OllamaUsage, parseRuntimeUsage, type RuntimeUsage } from './runtime-usage.js'

/** The body's last bytes kept for the usage parse: Ollama's final object and OpenAI's usage chunk fit. */
const TAIL_BYTES = 8 * 1024

/** Forwarded routes that run no generation: they say nothing about residency, speed or cached prefixes. */
const GENERATES_NOTHING: ReadonlySet<string> = new Set(['/api/show', '/v1/messages/count_tokens'])

export interface TrafficLearnerOptions {
  readonly knowledge: FleetKnowledge
  readonly prefixIndex: PrefixIndex
  /** Wall clock in ms (the balancer's `now`). */
  readonly clock: () => number
  /** Monotonic ms, the forwarder's `performance.now()` timeline. */
  readonly monotonic?: () => number
  /** Requests the coordinator has on a node now (the registry's lease count), for the concurrency. */
  readonly inFlightOf: (nodeId: string) => number
  /** How long after sampling a push arrives at most (the push interval): routing since then stands. */
  readonly pushLagMs: number
  /**
   * Told a node's total of prompt tokens not started whenever it changes, to share with the other
   * coordinators (`NodeRegistry.setAwaitingTokens`).
   */
  readonly shareAwaiting?: (nodeId: string, tokens: number) => void
}

/**
 * What the balancer learns from a request body, worked out once per request: its text at
 * `BYTES_PER_TOKEN`, each inline image at `IMAGE_PROMPT_TOKENS`, and the answer's token limit.
 */
export function probeOf(
  body: Uint8Array,
  media: InlineMedia = NO_MEDIA,
  maxOutputTokens?: number,
): RequestProbe {
  const promptTokens = (body.length - media.chars) / BYTES_PER_TOKEN + media.count * IMAGE_PROMPT_TOKENS
  const prefixHashes = prefixBlockHashes(body)
  const byBlock =
    media.spans.length === 0
      ? undefined
      : prefixTokens(media.spans, prefixHashes.length, PREFIX_BLOCK_BYTES, BYTES_PER_TOKEN)
  return { promptTokens, prefixHashes, maxOutputTokens, prefixTokens: byBlock }
}

/** A request sent to a node whose first byte has not come back yet. */
interface Awaiting {
  readonly nodeId: string
  readonly slot: number
  readonly tokens: number
  /** For an answer that is not streamed: counts its prompt as started (`noteAwaiting`'s `startsAfterS`). */
  timer?: ReturnType<typeof setTimeout>
}

/** The longest a timer can wait (setTimeout fires at once beyond it). */
const MAX_TIMER_MS = 2 ** 31 - 1

export class TrafficLearner implements ProxyObserver {
  readonly #options: TrafficLearnerOptions
  readonly #monotonic: () => number
  /** By request (the object every attempt and the final record carry): its prompt, until its first byte. */
  readonly #awaiting = new Map<object, Awaiting>()
  /**
   * By request: the share of its prompt the balancer expected cached where its latest attempt went
   * (for `toSample`). Weak: a request that never answers takes its entry with it.
   */
  readonly #cachedShare = new WeakMap<object, number>()

  constructor(options: TrafficLearnerOptions) {
    this.#options = options
    this.#monotonic = options.monotonic ?? (() => performance.now())
  }

  onAttempt(node: NodeView, reason: SelectionReason, _attempt: number, request: AttemptRequest): void {
    // Routes that generate nothing (Ollama's `show` before a chat, a token count) load no model.
    if (GENERATES_NOTHING.has(request.route)) return
    this.noteDispatched(node, request.model, request.probe)
    if (request.probe !== undefined) {
      const cached = reason.kind === 'fastest-finish' ? reason.cachedTokens : 0
      const prompt = request.probe.promptTokens
      this.#cachedShare.set(request, prompt > 0 ? Math.min(1, cached / prompt) : 0)
      // An answer in one piece has its first byte at its end, long after the runtime started the
      // prompt: the estimate's first-token time stands in for that byte.
      const startsAfterS =
        request.isStreaming === false && reason.kind === 'fastest-finish' ? reason.firstTokenS : undefined
      this.noteAwaiting(request, node, Math.max(0, request.probe.promptTokens - cached), startsAfterS)
    }
  }

  /**
   * `key`'s request went to `node` with `tokens` of its prompt to prefill there. It counts until the
   * answer's first byte, or after `startsAfterS` seconds when given, unless it ends or fails over.
   */
  noteAwaiting(key: object, node: NodeView, tokens: number, startsAfterS?: number): void {
    // A failover: the previous node will not answer this request.
    this.releaseAwaiting(key)
    // Whole tokens: the per-node sums then return to exactly 0 when every request has answered.
    const whole = Math.round(tokens)
    const awaiting: Awaiting = { nodeId: node.id, slot: node.slot, tokens: whole }
    if (startsAfterS !== undefined && startsAfterS >= 0) {
      const delayMs = Math.min(startsAfterS * 1000, MAX_TIMER_MS)
      awaiting.timer = setTimeout(() => this.releaseAwaiting(key), delayMs)
      awaiting.timer.unref()
    }
    this.#awaiting.set(key, awaiting)
    this.#addAwaiting(node.id, node.slot, whole)
  }

  #addAwaiting(nodeId: string, slot: number, tokens: number): void {
    const knowledge = this.#options.knowledge
    knowledge.addAwaiting(slot, tokens)
    this.#options.shareAwaiting?.(nodeId, knowledge.awaitingTokens[slot] as number)
  }

  /**
   * `key`'s request got its first byte, moved to another node, ended or was rejected: its prompt is no
   * longer queued where it was sent.
   */
  releaseAwaiting(key: object): void {
    const awaiting = this.#awaiting.get(key)
    if (awaiting === undefined) return
    clearTimeout(awaiting.timer)
    this.#awaiting.delete(key)
    this.#addAwaiting(awaiting.nodeId, awaiting.slot, -awaiting.tokens)
  }

  /** Requests sent and not yet answered with a first byte (tests). */
  get awaitingCount(): number {
    return this.#awaiting.size
  }

  /** A request for `model` went to `node`: the model is resident there now, and so is the prompt's prefix. */
  noteDispatched(node: NodeView, model: string, probe: RequestProbe | undefined): void {
    const now = this.#options.clock()
    this.#options.knowledge.noteRouted(node.slot, model, now)
    if (probe !== undefined) this.#options.prefixIndex.record(probe.prefixHashes, node.slot, now)
  }

  /**
   * A request on `node` finished and the runtime reported `usage` (what the proxy parses from the body's
   * tail; the balancing benchmark passes its simulated Ollama fields). `startConcurrency` counts the
   * requests on the node when it started, itself included; `request` is the object its attempts
   * carried (`onAttempt`), for the share of its prompt expected cached there.
   */
  observeUsage(
    node: NodeView,
    model: string,
    startConcurrency: number,
    usage: RuntimeUsage,
    timing: Timing,
    request?: object,
  ): void {
    const endConcurrency = Math.max(1, this.#options.inFlightOf(node.id))
    const concurrency = { start: startConcurrency, mean: (startConcurrency + endConcurrency) / 2 }
    const cachedShare = request === undefined ? 0 : (this.#cachedShare.get(request) ?? 0)
    const sample = toSample(usage, node, model, concurrency, cachedShare, timing)
    this.#options.knowledge.observe(sample)
  }

  onProxied(record: ProxiedRecord): void {
    this.releaseAwaiting(record.request)
  }

  /** A failover found no node, or waited in the queue and gave up: the earlier node has nothing of it. */
  onRejected(record: RejectedRecord): void {
    this.releaseAwaiting(record.request)
  }

  onResponse(response: ObservedResponse): ResponseTap | undefined {
    if (response.statusCode !== 200) return undefined
    const { node } = response
    const startConcurrency = node.inFlight + node.runtimeBacklog + 1
    const tail: Buffer[] = []
    let tailBytes = 0
    let firstAt = Number.NaN
    let lastAt = Number.NaN
    let chunks = 0
    return {
      chunk: (data) => {
        const at = this.#monotonic()
        if (chunks++ === 0) {
          firstAt = at
          this.releaseAwaiting(response.request)
        }
        lastAt = at
        tail.push(data)
        tailBytes += data.length
        while (tail.length > 1 && tailBytes - (tail[0] as Buffer).length >= TAIL_BYTES) {
          tailBytes -= (tail.shift() as Buffer).length
        }
      },
      end: (isComplete) => {
        if (!isComplete || chunks === 0) return
        const usage = parseRuntimeUsage(Buffer.concat(tail).toString('latin1'))
        if (usage === null) return
        const isStreaming = response.request.isStreaming !== false
        const timing = { sentAt: response.sentAt, firstAt, lastAt, chunks, isStreaming }
        this.observeUsage(node, response.request.model, startConcurrency, usage, timing, response.request)
      },
    }
  }

  /** A node registered: the sizes of its models give their priors until samples arrive. */
  onRegistered(registered: RegisteredNode): void {
    const details = registered.registration.modelDetails
    if (details !== undefined) this.#options.knowledge.noteModelSizes(details)
  }

  /** A push listed the models resident on a node (Ollama `/api/ps`). */
  onMetrics(pushed: IngestedMetrics): void {
    this.#options.knowledge.noteLoaded(
      pushed.slot,
      new Set(pushed.metrics.runtime.loadedModels),
      pushed.atMs - this.#options.pushLagMs,
    )
  }

  /** A node left: its learned rates, residency and cached prefixes go with it. */
  onNodeRemoved(removed: RemovedNode): void {
    for (const [key, awaiting] of this.#awaiting) {
      if (awaiting.slot !== removed.slot) continue
      clearTimeout(awaiting.timer)
      this.#awaiting.delete(key)
    }
    this.#options.knowledge.forgetSlot(removed.slot)
    this.#options.prefixIndex.forgetSlot(removed.slot)
  }
}

/**
 * When the request was sent to the node, when the answer's first and last chunk came (monotonic ms),
 * and how many chunks it had.
 */
export interface Timing {
  readonly sentAt: number
  readonly firstAt: number
  readonly lastAt: number
  readonly chunks: number
  /** The client asked for a streamed answer (`AttemptRequest.isStreaming`). Absent: streamed. */
  readonly isStreaming?: boolean
}

/**
 * The sample of one answer. Ollama's `prompt_eval_count` is the whole prompt, its cached prefix
 * included, while `prompt_eval_duration` times only what it computed (ollama/ollama
 * llm/llama_server.go `promptEvalCount()` = `cache_n + prompt_n`, duration `prompt_ms`, since 0.30.1;
 * before 0.30 the count was the whole prompt too): the prompt it computed is taken as the count less
 * the share of the prompt the balancer expected cached there (`cachedShare`), or a cached
 * conversation would read as a fast prefill. Ollama 0.30.0 alone counted only the computed part; on
 * it the cached share is taken out twice (docs/default-balancer.md, Limits).
 */
function toSample(
  usage: RuntimeUsage,
  node: NodeView,
  model: string,
  concurrency: { readonly start: number; readonly mean: number },
  cachedShare: number,
  timing: Timing,
): CompletionSample {
  const base = {
    slot: node.slot,
    model,
    gpuScore: node.gpuScore,
    gpuCount: node.gpuCount,
    gpuVramBytes: node.gpuVramBytes,
    concurrency: concurrency.mean,
  }
  if (usage.kind === 'ollama') {
    const counted = usage.promptEvalCount
    return {
      ...base,
      decodeTokens: usage.evalCount,
      decodeSeconds: nanosToSeconds(usage.evalNs),
      // Ollama never says what it had cached.
      prefillTokens: counted === null ? null : computedPrompt(counted, null, cachedShare),
      prefillSeconds: nanosToSeconds(usage.promptEvalNs),
      loadSeconds: nanosToSeconds(usage.loadNs),
      outputTokens: usage.evalCount,
      queuedSeconds: queuedSeconds(usage, timing),
      startConcurrency: concurrency.start,
    }
  }
  // OpenAI-style: only a stream separates prefill (to the first chunk) from decode (first to last), and
  // the time to the first chunk is prefill only when the request did not queue inside the runtime. A
  // long answer in one piece may still reach the proxy in several reads: those say nothing of decode.
  const isStream = timing.isStreaming !== false && timing.chunks >= 3
  const isPrefillTimed = isStream && concurrency.mean <= node.maxConcurrency
  return {
    ...base,
    decodeTokens: isStream ? usage.completionTokens - 1 : null,
    decodeSeconds: isStream ? (timing.lastAt - timing.firstAt) / 1000 : null,
    prefillTokens: isPrefillTimed
      ? computedPrompt(usage.promptTokens, usage.cachedTokens, cachedShare)
      : null,
    prefillSeconds: isPrefillTimed ? (timing.firstAt - timing.sentAt) / 1000 : null,
    loadSeconds: null,
    outputTokens: usage.completionTokens,
  }
}

/**
 * The prompt tokens a runtime computed of a `whole` prompt: less the cached ones it reports
 * (llama.cpp server always does, 0 included), or, where it reports none (`reportedCached` null), less
 * the share the balancer expected cached. vLLM adds `prompt_tokens_details.cached_tokens` only with
 * `--enable-prompt-tokens-details` and leaves out a 0, so its "none" may be a miss: the expectation
 * stands in all the same.
 */
function computedPrompt(whole: number, reportedCached: number | null, cachedShare: number): number {
  return reportedCached !== null ? whole - reportedCached : whole * (1 - cachedShare)
}

/**
 * Seconds the request waited before the runtime worked on it. Ollama's `total_duration` counts from its
 * handler's start (server/routes.go `checkpointStart`), so what load, prefill and decode leave is the
 * wait for a slot; a runtime (or a dispatcher in front of several) that starts its clock only at
 * admission hides that wait, so the proxy's own time to the first chunk, less load and prefill, counts
 * too: the larger of the two is the wait the client saw.
 */
function queuedSeconds(usage: OllamaUsage, timing: Timing): number | null {
  if (usage.totalNs === null || usage.evalNs === null || usage.promptEvalNs === null) return null
  const working = (usage.loadNs ?? 0) + usage.promptEvalNs
  const reported = Math.max(0, usage.totalNs - working - usage.evalNs) / 1e9
  const toFirst = timing.firstAt - timing.sentAt
  // An answer in one piece has its first byte at its end: the time to it is mostly decode, not a wait.
  if (timing.isStreaming === false || !(toFirst >= 0)) return reported
  return Math.max(reported, toFirst / 1000 - working / 1e9)
}

function nanosToSeconds(nanos: number | null): number | null {
  return nanos === null ? null : nanos / 1e9
}
