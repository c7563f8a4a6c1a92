/**
 * `GET /dashboard`: the live fleet page, its script and styles, and `GET /dashboard/events`, the
 * server-sent event stream that feeds it a snapshot every second.
 *
 * With `API_KEYS` set, the events need a key, and an EventSource cannot send headers: the page asks for
 * a key once, `POST /dashboard/session` (with `Authorization: Bearer <key>`) checks it and sets it as an
 * HttpOnly, SameSite=Strict cookie scoped to `/dashboard`, which the stream then carries. The key stays
 * out of URLs (and so out of proxy logs and browser history), and the cookie opens nothing but the
 * dashboard. `Authorization: Bearer <key>` works on the events too (curl).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { DASHBOARD_HTML } from '../dashboard/dashboard-page.js'
import { DASHBOARD_SCRIPT } from '../dashboard/dashboard-script.js'
import { buildDashboardSnapshot, type SnapshotSources } from '../dashboard/dashboard-snapshot.js'
import { DASHBOARD_STYLES } from '../dashboard/dashboard-styles.js'
import { SnapshotBroadcaster } from '../dashboard/snapshot-broadcaster.js'
import { DashboardFullError, InvalidApiKeyError } from '../errors.js'
import { createBearerMatcher } from '../plugins/bearer-auth.js'

export interface DashboardOptions extends SnapshotSources {
  /** Client API keys (`API_KEYS`); when empty the dashboard is open. */
  readonly apiKeys: readonly string[]
  /** Time between two snapshots (default `DASHBOARD_INTERVAL_MS`). */
  readonly intervalMs?: number
}

export const DASHBOARD_INTERVAL_MS = 1_000
/** Open dashboards at once: each costs one snapshot write per second. */
export const MAX_DASHBOARD_STREAMS = 64

const COOKIE_NAME = 'llm_fleet_dashboard_key'
const COOKIE_ATTRIBUTES = 'Path=/dashboard; HttpOnly; SameSite=Strict'
/** The cookie lasts a working day; then the page asks again. */
const COOKIE_MAX_AGE_S = 12 * 60 * 60

/**
 * Scripts and styles only from this origin, data only from it: even if an agent's hostname held
 * markup, the page would render it as text (it builds the DOM with textContent), and no injected
 * inline script could run.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const dashboard: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const matches = createBearerMatcher(options.apiKeys)
  const isAuthorized = (request: FastifyRequest): boolean => {
    if (options.apiKeys.length === 0) return true
    if (matches(request.headers.authorization)) return true
    const key = readCookie(request.headers.cookie, COOKIE_NAME)
    return key !== null && matches(`Bearer ${key}`)
  }
  const broadcaster = new SnapshotBroadcaster({
    intervalMs: options.intervalMs ?? DASHBOARD_INTERVAL_MS,
    render: () => JSON.stringify(buildDashboardSnapshot(options)),
    maxStreams: MAX_DASHBOARD_STREAMS,
  })
  // preClose: open streams would otherwise keep their connections, and app.close() waiting on them.
  app.addHook('preClose', async () => broadcaster.closeAll())

  const sendAsset = (reply: FastifyReply, type: string, body: string) =>
    reply
      .type(type)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body)

  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer')
    return sendAsset(reply, 'text/html; charset=utf-8', DASHBOARD_HTML)
  })
  app.get('/dashboard/app.js', { schema: { hide: true } }, async (_request, reply) =>
    sendAsset(reply, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT),
  )
  app.get('/dashboard/app.css', { schema: { hide: true } }, async (_request, reply) =>
    sendAsset(reply, 'text/css; charset=utf-8', DASHBOARD_STYLES),
  )

  // Always 200, so that the page learns it must ask for a key without a failed request in its console.
  app.get('/dashboard/session', { schema: { hide: true } }, async (request) => ({
    isKeyRequired: options.apiKeys.length > 0,
    isAuthorized: isAuthorized(request),
  }))

  app.post('/dashboard/session', { schema: { hide: true } }, async (request, reply) => {
    if (options.apiKeys.length === 0) return reply.code(204).send()
    if (!matches(request.headers.authorization)) throw new InvalidApiKeyError()
    const key = /^Bearer +(\S+)/i.exec(request.headers.authorization ?? '')?.[1] ?? ''
    return reply
      .code(204)
      .header(
        'set-cookie',
        `${COOKIE_NAME}=${encodeURIComponent(key)}; ${COOKIE_ATTRIBUTES}; Max-Age=${COOKIE_MAX_AGE_S}`,
      )
      .send()
  })

  app.delete('/dashboard/session', { schema: { hide: true } }, async (_request, reply) =>
    reply.code(204).header('set-cookie', `${COOKIE_NAME}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`).send(),
  )

  app.get('/dashboard/events', { schema: { hide: true } }, async (request, reply) => {
    if (!isAuthorized(request)) throw new InvalidApiKeyError()
    if (broadcaster.size >= MAX_DASHBOARD_STREAMS) throw new DashboardFullError(MAX_DASHBOARD_STREAMS)
    reply.hijack()
    // Refused only once the app is closing.
    if (!broadcaster.add(reply.raw)) reply.raw.writeHead(503).end()
  })
}

/** One cookie's value from a `Cookie` header, or null when absent or not valid percent-encoding. */
function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator === -1 || part.slice(0, separator).trim() !== name) continue
    const value = part.slice(separator + 1).trim()
    try {
      return decodeURIComponent(value)
    } catch (error) {
      // A malformed cookie is no key: the page asks for one again.
      if (error instanceof URIError) return null
      throw error
    }
  }
  return null
}
