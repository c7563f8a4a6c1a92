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
 * - `content-type`: a JSON body is JSON upstream, even when a client such as `curl -d` labelled it
 *   form-encoded (Ollama does not care, but FastAPI-based runtimes such as vLLM do); an upload keeps
 *   its own, which the route passes back (`buildUpstreamRequestHeaders`' `contentType`);
 * - `authorization`: the client's credential is the coordinator's API key (or an SDK's placeholder);
 *   the runtimes behind the coordinator must never see it;
 * - `x-api-key`: the same credential as the Anthropic SDKs send it;
 * - `expect`: the coordinator has already read the whole body; undici does not support it either;
 * - `x-request-id`: replaced by the id the coordinator settled on, so the runtime's logs correlate;
 * - `origin`: the coordinator is the CORS boundary (plugins/cors.ts). A runtime's own check would
 *   refuse what the coordinator allowed (Ollama answers 403 to an origin outside OLLAMA_ORIGINS), and
 *   a 403 counts against the node: any client could cool the fleet down with one header.
 */
const REPLACED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'authorization',
  'x-api-key',
  'expect',
  'x-request-id',
  'origin',
])

/** What the coordinator sets on a request upstream, in place of the client's. */
export interface UpstreamHeaderOptions {
  /** The id the coordinator settled on (`X-Request-Id`), so the runtime's logs correlate. */
  readonly requestId: string
  /** The runtime's own key (`Bearer …`), when its agent registered one; never the client's. */
  readonly authorization?: string | undefined
  /** This coordinator's name in `Via` (RFC 9110 §7.6.3), added after those the request came through. */
  readonly via?: string | undefined
  /** The body's content type as the route settled it (a multipart upload's, boundary and all); JSON if absent. */
  readonly contentType?: string | undefined
}

/**
 * The headers to send upstream for a client's request: everything the client sent except hop-by-hop
 * headers, headers named in its `Connection` header, and those the coordinator replaces; then the
 * request id, the body's content type (JSON unless the route says otherwise) and the runtime's key.
 */
export function buildUpstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  { requestId, authorization, via, contentType = 'application/json' }: UpstreamHeaderOptions,
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
  upstream['content-type'] = contentType
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
 * Response headers that hold a URL the client may follow. A runtime builds them from its own address
 * (Starlette's trailing-slash redirect answers 307 with `Location: http://<the Host it was sent>/…`):
 * passed on as they are, they would show the client the runtime's internal address and send its next
 * request around the coordinator.
 */
const URL_HEADERS: ReadonlySet<string> = new Set(['location', 'content-location'])

/** A runtime's CORS answer (`access-control-*`): the coordinator's own (plugins/cors.ts) decides. */
const CORS_HEADER_PREFIX = 'access-control-'

/**
 * The upstream response's headers to pass to the client: all but the hop-by-hop ones, those named in
 * its `Connection` header and the runtime's CORS headers (vLLM allows every origin by default, which
 * would override the coordinator's answer), with the runtime's own URLs made the coordinator's
 * (`clientLocation`). `content-length` stays: the body is passed through byte for byte.
 */
export function filterResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  /**
   * The node's runtime URL as registered (`RUNTIME_URL`), to recognise its address in a redirect. Asked
   * for only when a URL header is there: most answers have none, and the lookup is on every response.
   */
  runtimeUrlOf: () => string | undefined = () => undefined,
): HeaderRecord {
  const named = namedInConnection(headers.connection)
  const filtered: HeaderRecord = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (HOP_BY_HOP_HEADERS.has(name) || name.startsWith(CORS_HEADER_PREFIX)) continue
    if (named?.has(name)) continue
    if (URL_HEADERS.has(name)) {
      const runtimeUrl = runtimeUrlOf()
      filtered[name] = Array.isArray(value)
        ? value.map((url) => clientLocation(url, runtimeUrl))
        : clientLocation(value, runtimeUrl)
    } else filtered[name] = value
  }
  return filtered
}

/**
 * A URL from a runtime's `Location` as the client must see it: one at the runtime's own origin becomes
 * path-absolute, without the runtime URL's base path, so it resolves against the coordinator the
 * client called (`http://10.0.0.5:8000/vllm/v1/models/` → `/v1/models/`); a path-absolute one loses
 * the base path too. Relative references resolve against the client's own URL and are kept, and so is
 * a URL at another origin, which is not the runtime's to hide. Without `runtimeUrl` any absolute http(s)
 * URL loses its origin: the coordinator cannot tell the runtime's from another, and must not show an
 * internal address.
 * @example clientLocation('http://10.0.0.5:8000/v1/chat/completions', 'http://10.0.0.5:8000') // '/v1/chat/completions'
 */
export function clientLocation(location: string, runtimeUrl?: string | undefined): string {
  const runtime = runtimeUrl === undefined ? undefined : new URL(runtimeUrl)
  const basePath = runtime === undefined ? '' : runtime.pathname.replace(/\/$/, '')
  if (location.startsWith('/') && !location.startsWith('//')) return withoutBasePath(location, basePath)
  if (!ABSOLUTE_URL.test(location)) return location
  let url: URL
  try {
    // A scheme-relative `//host/path` takes the scheme of the connection it came over.
    url = new URL(location, runtime ?? 'http://runtime.invalid')
  } catch {
    return location
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return location
  if (runtime !== undefined && url.origin !== runtime.origin) return location
  return withoutBasePath(url.pathname + url.search + url.hash, basePath)
}

/** An absolute URL (a scheme) or a scheme-relative one (`//host`): RFC 3986 §4.2-4.3. */
const ABSOLUTE_URL = /^([a-z][a-z0-9+.-]*:|\/\/)/i

/** `path` seen from the coordinator: the runtime URL's base path (no final `/`) taken off its start. */
function withoutBasePath(path: string, basePath: string): string {
  if (basePath === '' || !path.startsWith(basePath)) return path
  const rest = path.slice(basePath.length)
  if (rest === '') return '/'
  // `/vllm2` is not under `/vllm`.
  if (rest.startsWith('/')) return rest
  if (rest.startsWith('?') || rest.startsWith('#')) return `/${rest}`
  return path
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
