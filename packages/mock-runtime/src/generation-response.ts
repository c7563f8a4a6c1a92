/**
 * Binds one generation to one HTTP response: streams or collects tokens, applies the request's injected
 * fault, frees the slot when the client disconnects, and keeps the counters.
 */
import type { ServerResponse } from 'node:http'
import type { FaultDirective } from './fault-state.js'
import type { GenerationScheduler } from './generation-scheduler.js'
import type { RuntimeKind } from './runtime-context.js'
import type { RuntimeCounters } from './runtime-stats.js'

/** How one API renders a generation on the wire. */
export interface GenerationRenderer {
  /** `true` for NDJSON/SSE, `false` for one JSON body at the end. */
  readonly isStreaming: boolean
  /** Content type of the streamed body (NDJSON or SSE). */
  readonly streamContentType: string
  /** Tokens `[firstIndex, firstIndex + count)`: the text to write when streaming (collect them otherwise). */
  renderTokens(firstIndex: number, count: number): string
  /** After the last token: the closing chunks when streaming, the whole JSON body otherwise. */
  renderEnd(): string
  /** A body that is not valid JSON (the `garbage` fault). */
  renderGarbage(): string
  /**
   * The `error-mid-stream` fault: the error the runtime writes inside its stream (and, not streaming,
   * the 500 body). Without it the fault drops the connection instead.
   */
  renderError?(message: string): { readonly streamed: string; readonly body: string }
}

/** What the mock's runtimes say when a generation fails midway (Ollama's words for a crashed runner). */
export const MID_STREAM_ERROR_MESSAGE =
  'an error was encountered while running the model: CUDA error: out of memory'

/** What {@link runGeneration} needs besides the renderer. */
export interface GenerationContext {
  readonly scheduler: GenerationScheduler
  readonly counters: RuntimeCounters
  readonly fault: FaultDirective
  readonly outputTokens: number
  /** The prompt's modelled prefill, speed-scaled ms (prompt-gate.ts); the profile's fixed TTFT when absent. */
  readonly prefillMs?: number
  /** Whose places the generation takes (`runnerFor`); one shared runner when absent. */
  readonly runner?: string
}

/**
 * The runner a generation of `model` runs in, as a `GenerationContext` field: a mock Ollama runs one
 * per model, each with its own places (generation-scheduler.ts); an OpenAI-style server is one engine
 * with one set of places (no field: the shared runner).
 */
export function runnerFor(kind: RuntimeKind, model: string): { readonly runner?: string } {
  return kind === 'ollama' ? { runner: model } : {}
}

/** Runs the generation and answers `response`; returns at once, the scheduler drives the rest. */
export function runGeneration(
  response: ServerResponse,
  renderer: GenerationRenderer,
  context: GenerationContext,
): void {
  const { scheduler, counters, fault, outputTokens } = context
  const contentType = renderer.isStreaming ? renderer.streamContentType : 'application/json; charset=utf-8'

  if (fault.mode === 'garbage') {
    counters.faulted++
    response.writeHead(200, { 'content-type': contentType })
    response.end(renderer.renderGarbage())
    return
  }

  const faultAt =
    fault.mode === 'die-mid-stream' || fault.mode === 'stall' || fault.mode === 'error-mid-stream'
      ? fault.afterChunks
      : -1
  const error =
    fault.mode === 'error-mid-stream' ? renderer.renderError?.(MID_STREAM_ERROR_MESSAGE) : undefined
  let isFinished = false
  let hasFaulted = false
  let sentHeaders = false

  const sendHeaders = (): void => {
    if (sentHeaders) return
    sentHeaders = true
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' })
    // Streaming runtimes answer headers together with the first chunk; flushing makes them visible now.
    response.flushHeaders()
  }

  const dieNow = (): void => {
    response.socket?.destroy()
  }

  /** Stops generating at once; a dying runtime drops the socket once `afterWrite` chunks are flushed. */
  const strike = (hasPendingWrite: boolean): void => {
    if (hasFaulted) return
    hasFaulted = true
    counters.faulted++
    ticket.cancel()
    if (error !== undefined) {
      if (renderer.isStreaming) {
        sendHeaders()
        response.end(error.streamed)
      } else {
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
        response.end(error.body)
      }
      return
    }
    // stall: the response stays open with nothing more to say, until the client gives up.
    if ((fault.mode === 'die-mid-stream' || fault.mode === 'error-mid-stream') && !hasPendingWrite) dieNow()
  }

  const ticket = scheduler.submit({
    outputTokens,
    ...(context.runner === undefined ? {} : { runner: context.runner }),
    ...(context.prefillMs === undefined ? {} : { prefillMs: context.prefillMs }),
    onTokens(firstIndex, count) {
      let usable = count
      if (faultAt >= 0) usable = Math.max(0, Math.min(count, faultAt - firstIndex))
      const isStriking = faultAt >= 0 && firstIndex + count >= faultAt
      let wrote = false
      if (usable > 0) {
        counters.totalTokens += usable
        const text = renderer.renderTokens(firstIndex, usable)
        if (renderer.isStreaming) {
          sendHeaders()
          wrote = true
          // Dying must come after these chunks reached the socket, or the client would not see them.
          const dies = isStriking && error === undefined && fault.mode !== 'stall'
          response.write(text, dies ? dieNow : undefined)
        }
      }
      if (isStriking) strike(wrote)
    },
    onDone() {
      isFinished = true
      counters.completed++
      const end = renderer.renderEnd()
      if (renderer.isStreaming) {
        sendHeaders()
        response.end(end)
      } else {
        response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(end) })
        response.end(end)
      }
    },
  })

  response.on('close', () => {
    if (isFinished || hasFaulted) return
    ticket.cancel()
    counters.aborted++
  })

  if (faultAt === 0) {
    if ((renderer.isStreaming || fault.mode === 'stall') && error === undefined) sendHeaders()
    strike(false)
  }
}
