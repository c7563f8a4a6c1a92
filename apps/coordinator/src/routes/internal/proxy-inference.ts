/** The one handler behind every inference route: parse, forward, stream the answer back. */
import type { FleetNode } from '@llm-fleet/types'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ApiKind } from '../../core/balancer/strategy.js'
import { ollamaModelKey } from '../../core/model-name.js'
import type { NodeView } from '../../core/node-view.js'
import { probeOf } from '../../learning/traffic-learner.js'
import { ClientGoneSignal } from '../../proxy/client-gone-signal.js'
import type { RequestForwarder } from '../../proxy/forward-request.js'
import { type BodyRules, type InferenceBody, parseInferenceBody } from './inference-body.js'

export interface InferenceRoute extends BodyRules {
  /** The route pattern, for the log line. */
  readonly route: string
}

/** Printable ASCII but `%`: a header value that needs no encoding (`toHeaderValue`). */
const HEADER_SAFE = /^[\x20-\x24\x26-\x7e]*$/

/**
 * Forwards the request to the balancer's choice and sends the upstream answer through as a stream.
 * The client closing its connection aborts the upstream request at once, whether the upstream is
 * still loading the model (no headers yet) or generating.
 */
export async function proxyInference(
  request: FastifyRequest,
  reply: FastifyReply,
  forwarder: RequestForwarder,
  route: InferenceRoute,
  /** The body as the route already parsed it; parsed here by the route's rules when absent. */
  parsedBody?: InferenceBody,
): Promise<FastifyReply> {
  const body = parsedBody ?? parseInferenceBody(request.body, route)
  const clientGone = new ClientGoneSignal()
  const response = reply.raw
  response.once('close', () => {
    // 'close' also follows a complete response; only an unfinished one means the client left.
    if (!response.writableFinished) clientGone.abort()
  })

  const forwarded = await forwarder.forward({
    apiKind: route.apiKind,
    model: body.model,
    ollamaModelKey: ollamaModelKey(body.model),
    route: route.route,
    method: 'POST',
    url: originForm(request.url),
    headers: request.headers,
    body: body.raw,
    contentType: body.contentType,
    requestId: request.id,
    signal: clientGone,
    log: request.log,
    probe: body.probe ?? probeOf(body.raw, body.media, body.maxOutputTokens),
    isStreaming: body.isStreaming,
  })

  reply.code(forwarded.statusCode)
  // The runtime's Vary joins the one CORS set (`Origin`), rather than replacing it.
  const vary = reply.getHeader('vary')
  reply.headers(forwarded.headers)
  if (vary !== undefined && forwarded.headers.vary !== undefined) {
    reply.header('vary', joinVary(String(vary), String(forwarded.headers.vary)))
  }
  reply.header('x-fleet-node', toHeaderValue(forwarded.node.name))
  // The reason names the runner-up node too, whose name may hold what a header cannot.
  reply.header('x-fleet-reason', toHeaderValue(forwarded.reasonText))
  if (body.isStreaming || forwarded.isStreamed) {
    // nginx (and other buffering proxies in front) would otherwise hold chunks back.
    reply.header('x-accel-buffering', 'no')
  }
  return reply.send(forwarded.body)
}

/** Two `Vary` values as one, each field once whatever its case; `*` stands for them all. */
function joinVary(ours: string, theirs: string): string {
  const fields = new Map<string, string>()
  for (const field of `${ours},${theirs}`.split(',')) {
    const name = field.trim()
    if (name === '*') return '*'
    if (name !== '' && !fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), name)
  }
  return [...fields.values()].join(', ')
}

/**
 * The request target as a path and query. HTTP/1.1 servers must accept the absolute form
 * (`POST http://elsewhere:1/v1/chat/completions`), and node passes it through as `request.url`:
 * forwarded as it is, a runtime behind a forward proxy could be steered to the host it names.
 */
function originForm(url: string): string {
  if (url.startsWith('/')) return url
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

/**
 * Text with node names in it as a header value: hostnames are ASCII, but a registration could say
 * anything, and node refuses to write a header holding a character beyond Latin-1 or a control
 * character (the response then never started, and the client waited until its own timeout). Each
 * character outside printable ASCII, and `%` itself, is percent-encoded as UTF-8, so
 * `decodeURIComponent` restores the text.
 */
function toHeaderValue(text: string): string {
  // What nearly every value is: printable ASCII without `%`, sent as it is.
  if (HEADER_SAFE.test(text)) return text
  // Not encodeURIComponent: it throws on a lone surrogate, which a JSON string can carry (`"\ud800"`);
  // Buffer writes one as U+FFFD.
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (character) => {
    let encoded = ''
    for (const byte of Buffer.from(character, 'utf8'))
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    return encoded
  })
}

/** What the OpenAI and Ollama route plugins receive. */
export interface InferenceApiOptions {
  readonly forwarder: RequestForwarder
  /** For the model lists (`snapshot`) and what nodes report about their models (`list`). */
  readonly registry: { snapshot(): readonly NodeView[]; list(): FleetNode[] }
  /** Client API keys (`API_KEYS`); when empty the routes are open. */
  readonly apiKeys: readonly string[]
  /** Body limit of the forwarded routes (`INFERENCE_BODY_LIMIT_BYTES`): prompts and images are big. */
  readonly bodyLimitBytes: number
}

/** The models online nodes serve for an API, sorted: what `/v1/models` and `/api/tags` list. */
export function servedModels(nodes: readonly NodeView[], apiKind: ApiKind): string[] {
  const models = new Set<string>()
  for (const node of nodes) {
    if (node.state !== 'online') continue
    // Ollama serves /v1/* too; an OpenAI-only runtime cannot answer the Ollama API.
    if (apiKind === 'ollama' && node.runtimeKind !== 'ollama') continue
    for (const model of node.models) models.add(model)
  }
  return [...models].sort()
}
