/**
 * Which headers cross the proxy. A header that describes one connection (RFC 9110 §7.6.1) must not be
 * forwarded to the next one, and neither must anything the connection names in its `Connection` header.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** The header values we forward: what node:http and undici both produce and accept. */
export type HeaderRecord = Record<string, string | string[]>

/**
 * RFC 9110 §7.6.1's connection-specific fields, plus `proxy-connection` (a de facto one that old
 * clients still send) and `keep-alive` (RFC 2068). undici rejects `transfer-encoding`, `keep-alive` and
 * `upgrade` on a request anyway: it frames the body itself.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * Request headers the coordinator replaces or must not pass on, besides the hop-by-hop ones:
 * - `host`: undici sets the upstream's own;
 * - `content-length`: undici computes it from the body it sends;
 * - `content-type`: the body is always JSON upstream, even when a client such as `curl -d` labelled it
 *   form-encoded (Ollama does not care, but FastAPI-based runtimes such as vLLM do);
 * - `authorization`: the client's credential is the coordinator's API key (or an SDK's placeholder);
 *   the runtimes behind the coordinator must never see it;
 * - `x-api-key`: the same credential as the Anthropic SDKs send it;
 * - `expect`: the coordinator has already read the whole body; undici does not support it either;
 * - `x-request-id`: replaced by the id the coordinator settled on, so the runtime's logs correlate.
 */
const REPLACED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'authorization',
  'x-api-key',
  'expect',
  'x-request-id',
])

/**
 * The headers to send upstream for a client's request: everything the client sent except hop-by-hop
 * headers, headers named in its `Connection` header, and those the coordinator replaces; then the
 * request id, the JSON content type and the runtime's key.
 */
export function buildUpstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  requestId: string,
  /** The runtime's own key (`Bearer …`), when its agent registered one; never the client's. */
  authorization?: string | undefined,
  /** This coordinator's name in `Via` (RFC 9110 §7.6.3), added after those the request came through. */
  via?: string | undefined,
): HeaderRecord {
  const named = namedInConnection(headers.connection)
  const upstream: HeaderRecord = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (HOP_BY_HOP_HEADERS.has(name) || REPLACED_REQUEST_HEADERS.has(name)) continue
    if (named?.has(name)) continue
    upstream[name] = value
  }
  upstream['content-type'] = 'application/json'
  upstream['x-request-id'] = requestId
  if (authorization !== undefined) upstream.authorization = authorization
  if (via !== undefined) {
    const earlier = headers.via
    upstream.via = earlier === undefined || earlier === '' ? `1.1 ${via}` : `${earlier}, 1.1 ${via}`
  }
  return upstream
}

/** Whether `via` (a request's `Via` header) names `name` as a proxy it passed through. */
export function hasPassedThrough(via: string | undefined, name: string): boolean {
  if (via === undefined) return false
  return via.split(',').some((hop) => hop.trim().split(/\s+/)[1] === name)
}

/**
 * The upstream response's headers to pass to the client: all but the hop-by-hop ones and those named
 * in its `Connection` header. `content-length` stays: the body is passed through byte for byte.
 */
export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): HeaderRecord {
  const named = namedInConnection(headers.connection)
  const filtered: HeaderRecord = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (HOP_BY_HOP_HEADERS.has(name)) continue
    if (named?.has(name)) continue
    filtered[name] = value
  }
  return filtered
}

/** Lower-cased names listed in a `Connection` header, or null when there are none (the usual case). */
function namedInConnection(connection: string | string[] | undefined): ReadonlySet<string> | null {
  // What nearly every client sends: nothing to collect, and no string splitting per request.
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return null
  const values = Array.isArray(connection) ? connection : [connection]
  let names: Set<string> | null = null
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase()
      // `close` and `keep-alive` are the common values: options, not header names worth a Set.
      if (name === '' || name === 'close' || name === 'keep-alive') continue
      names ??= new Set()
      names.add(name)
    }
  }
  return names
}
