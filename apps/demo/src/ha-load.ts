/**
 * Closed-loop clients through the front: each sends one request after another until stopped,
 * alternating a streamed Ollama chat and a non-streamed OpenAI chat completion, and records every
 * outcome. A request counts as served only when its answer is complete (a stream's last line says
 * `done: true`; a completion parses with a choice).
 */
import { Agent, request } from 'undici'
import { DEMO_MODEL } from './simulated-host.js'

export interface RequestOutcome {
  readonly isStreaming: boolean
  readonly startedAtMs: number
  readonly latencyMs: number
  readonly isOk: boolean
  /** Status, or the error's code/message, for a failure. */
  readonly failure?: string
}

export interface LoadOptions {
  readonly url: string
  readonly clients: number
  /** Tokens per answer (num_predict / max_tokens). */
  readonly tokens: number
  /** Only streamed requests when false (latency benches compare like with like either way). */
  readonly isMixed?: boolean
}

export interface RunningLoad {
  /** Stops sending and resolves with every outcome once the requests in flight ended. */
  stop(): Promise<RequestOutcome[]>
  readonly outcomes: readonly RequestOutcome[]
}

export function startLoad(options: LoadOptions): RunningLoad {
  const dispatcher = new Agent({ keepAliveTimeout: 5000, connections: options.clients * 2 })
  const outcomes: RequestOutcome[] = []
  let isStopped = false
  const clients = Array.from({ length: options.clients }, async (_unused, client) => {
    for (let turn = 0; !isStopped; turn++) {
      const isStreaming = options.isMixed === false || (client + turn) % 2 === 0
      outcomes.push(await oneRequest(options, dispatcher, isStreaming))
    }
  })
  return {
    outcomes,
    async stop() {
      isStopped = true
      await Promise.all(clients)
      await dispatcher.close()
      return outcomes
    },
  }
}

async function oneRequest(
  options: LoadOptions,
  dispatcher: Agent,
  isStreaming: boolean,
): Promise<RequestOutcome> {
  const startedAtMs = performance.now()
  const done = (isOk: boolean, failure?: string): RequestOutcome => ({
    isStreaming,
    startedAtMs,
    latencyMs: performance.now() - startedAtMs,
    isOk,
    ...(failure === undefined ? {} : { failure }),
  })
  const messages = [{ role: 'user', content: 'Say something.' }]
  const [path, body] = isStreaming
    ? ['/api/chat', { model: DEMO_MODEL, messages, stream: true, options: { num_predict: options.tokens } }]
    : ['/v1/chat/completions', { model: DEMO_MODEL, messages, stream: false, max_tokens: options.tokens }]
  try {
    const response = await request(`${options.url}${path}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await response.body.text()
    if (response.statusCode !== 200) return done(false, `HTTP ${response.statusCode}: ${text.slice(0, 200)}`)
    if (isStreaming) {
      const last = text.trim().split('\n').at(-1) ?? ''
      return (JSON.parse(last) as { done?: boolean }).done === true
        ? done(true)
        : done(false, 'stream cut short')
    }
    const parsed = JSON.parse(text) as { choices?: unknown[] }
    return Array.isArray(parsed.choices) && parsed.choices.length > 0 ? done(true) : done(false, 'no choices')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return done(false, typeof code === 'string' ? code : String(error))
  }
}

/** The median of `values` (0 when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}
