/**
 * A fake LLM runtime for proxy tests: a real HTTP server on an ephemeral port that speaks enough of
 * the OpenAI and Ollama APIs, with olla-style fault modes. Streaming is driven by events, not timers:
 * `gated` mode writes its first chunk and waits for `release()`, so a test can prove a chunk crossed
 * the proxy before the runtime finished.
 */
import { EventEmitter, once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

export type FakeRuntimeMode =
  /** Answers at once: JSON, or `chunks` stream chunks when the body asks for a stream. */
  | { readonly kind: 'ok' }
  /** Answers with this status and a JSON error body (`message`, or `<name> says <status>`). */
  | { readonly kind: 'status'; readonly statusCode: number; readonly message?: string }
  /**
   * Streams the first chunk, then an error the way real runtimes write one inside a 200 stream, and
   * ends: Ollama's NDJSON line `{"error":"…"}` (ollama server/routes.go `streamResponse`), vLLM's SSE
   * event `data: {"error":{…,"code":…}}` then `[DONE]` (vllm entrypoints/openai/serving_chat.py).
   */
  | { readonly kind: 'stream-error'; readonly code?: number }
  /** Reads the request and never answers. */
  | { readonly kind: 'hang' }
  /** Streams the first chunk, then waits for `release()` before the rest. */
  | { readonly kind: 'gated' }
  /** Streams the first chunk, then destroys the connection. */
  | { readonly kind: 'die-mid-stream' }

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
  /** The body's bytes as they arrived (an upload is not text). */
  readonly bytes: Buffer
}

export interface FakeRuntime {
  /** Base URL, e.g. `http://127.0.0.1:53411`. */
  readonly url: string
  /** Sent back as `x-runtime` and inside every answer, to tell runtimes apart. */
  readonly name: string
  readonly requests: RecordedRequest[]
  /**
   * `request` (RecordedRequest) when a request arrives; `first-chunk` after a streamed answer's first
   * chunk is written; `finished` when an answer ended; `connection` and `connection-closed` when a TCP
   * connection to the runtime opens and closes; `client-closed` when the proxy closed the
   * connection before the answer ended (an abort reached the runtime).
   */
  readonly events: EventEmitter
  setMode(mode: FakeRuntimeMode): void
  /** Lets every gated answer (present and future) write its remaining chunks. */
  release(): void
  close(): Promise<void>
}

export interface FakeRuntimeOptions {
  readonly name?: string
  readonly mode?: FakeRuntimeMode
  /** Chunks of a streamed answer (default 3). */
  readonly chunks?: number
}

/** Starts a fake runtime that closes itself (and its connections) when the test finishes. */
export async function startFakeRuntime(options: FakeRuntimeOptions = {}): Promise<FakeRuntime> {
  const name = options.name ?? 'runtime'
  const chunks = options.chunks ?? 3
  const events = new EventEmitter()
  const requests: RecordedRequest[] = []
  let mode: FakeRuntimeMode = options.mode ?? { kind: 'ok' }
  let openGate: () => void = () => undefined
  let gate = new Promise<void>((resolve) => {
    openGate = resolve
  })

  const server = createServer((request, response) => {
    const parts: Buffer[] = []
    request.on('data', (part: Buffer) => parts.push(part))
    request.on('end', () => {
      const bytes = Buffer.concat(parts)
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: bytes.toString('utf8'),
        bytes,
      }
      requests.push(recorded)
      response.on('close', () => {
        events.emit(response.writableFinished ? 'finished' : 'client-closed', recorded)
      })
      events.emit('request', recorded)
      void answer(recorded, response)
    })
  })

  async function answer(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const current = mode
    if (current.kind === 'hang') return
    response.setHeader('x-runtime', name)
    if (current.kind === 'status') {
      response.writeHead(current.statusCode, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: current.message ?? `${name} says ${current.statusCode}` }))
      return
    }
    const format = answerFormat(request)
    const isStreaming = current.kind !== 'ok' || wantsStream(request)
    if (!isStreaming) {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(completeAnswer(format, name)))
      return
    }
    response.writeHead(200, {
      'content-type': format === 'openai' ? 'text/event-stream' : 'application/x-ndjson',
    })
    // Wait until the first chunk is on the wire, so dying afterwards cannot swallow it.
    await new Promise<void>((resolve) => response.write(streamChunk(format, name, 0), () => resolve()))
    events.emit('first-chunk', request)
    if (current.kind === 'die-mid-stream') {
      response.destroy()
      return
    }
    if (current.kind === 'stream-error') {
      response.end(streamError(format, `${name} failed mid-stream`, current.code))
      return
    }
    if (current.kind === 'gated') await gate
    for (let index = 1; index < chunks; index++) response.write(streamChunk(format, name, index))
    response.end(
      format === 'openai' ? 'data: [DONE]\n\n' : `${JSON.stringify({ model: name, done: true })}\n`,
    )
  }

  // Longer than any test: an idle keep-alive connection only closes when the coordinator closes it.
  server.keepAliveTimeout = 60_000
  server.on('connection', (socket) => {
    events.emit('connection')
    socket.on('close', () => events.emit('connection-closed'))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  const runtime: FakeRuntime = {
    url: `http://127.0.0.1:${port}`,
    name,
    requests,
    events,
    setMode(next) {
      mode = next
    },
    release() {
      openGate()
      gate = Promise.resolve()
    },
    async close() {
      openGate()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  onTestFinished(() => runtime.close())
  return runtime
}

/** A URL where nothing listens: a port that was free a moment ago (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

type AnswerFormat = 'openai' | 'ollama-chat' | 'ollama-generate' | 'embeddings'

function answerFormat(request: RecordedRequest): AnswerFormat {
  if (request.url.includes('embed')) return 'embeddings'
  if (request.url.startsWith('/v1/')) return 'openai'
  return request.url.startsWith('/api/chat') ? 'ollama-chat' : 'ollama-generate'
}

function wantsStream(request: RecordedRequest): boolean {
  // An upload (multipart) is answered whole: this fake reads only JSON bodies.
  if (request.headers['content-type'] !== 'application/json') return false
  const body: unknown = JSON.parse(request.body)
  const stream = typeof body === 'object' && body !== null && 'stream' in body ? body.stream : undefined
  if (typeof stream === 'boolean') return stream
  return request.url === '/api/chat' || request.url === '/api/generate'
}

function completeAnswer(format: AnswerFormat, name: string): unknown {
  switch (format) {
    case 'openai':
      return {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: name,
        choices: [
          { index: 0, message: { role: 'assistant', content: `hello from ${name}` }, finish_reason: 'stop' },
        ],
      }
    case 'ollama-chat':
      return { model: name, message: { role: 'assistant', content: `hello from ${name}` }, done: true }
    case 'ollama-generate':
      return { model: name, response: `hello from ${name}`, done: true }
    case 'embeddings':
      return { model: name, embeddings: [[0.1, 0.2, 0.3]], data: [{ embedding: [0.1, 0.2, 0.3] }] }
  }
}

function streamError(format: AnswerFormat, message: string, code: number | undefined): string {
  if (format !== 'openai') return `${JSON.stringify({ error: message })}\n`
  const error = {
    message,
    type: code !== undefined && code < 500 ? 'BadRequestError' : 'InternalServerError',
    code: code ?? 500,
  }
  return `data: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`
}

function streamChunk(format: AnswerFormat, name: string, index: number): string {
  if (format === 'openai') {
    const chunk = {
      object: 'chat.completion.chunk',
      model: name,
      choices: [{ delta: { content: `t${index}` } }],
    }
    return `data: ${JSON.stringify(chunk)}\n\n`
  }
  return `${JSON.stringify({ model: name, message: { content: `t${index}` }, done: false })}\n`
}
