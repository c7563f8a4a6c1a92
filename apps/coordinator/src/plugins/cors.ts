/**
 * CORS for clients that run in a browser (web UIs, browser extensions, editors' webviews), allowed
 * as Ollama allows them: pages served from localhost, 127.0.0.1 or 0.0.0.0 on any port, `app://`,
 * `file://`, `tauri://`, VS Code's webviews and browser extensions (ollama/ollama
 * envconfig/config.go `AllowedOrigins`, server/routes.go `GenerateRoutes`: gin-contrib/cors with
 * `AllowWildcard` and `AllowBrowserExtensions`), and the origins in `ALLOWED_ORIGINS`. A preflight
 * is answered in an onRequest hook registered before any API key check, since browsers send it
 * without credentials; the request that follows is checked as any other.
 */
import fastifyCors from '@fastify/cors'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { isCoordinatorApi } from '../api-paths.js'

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '0.0.0.0']

/** Ollama's defaults, with `*` for any text. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  ...LOCAL_HOSTS.flatMap((host) => [
    `http://${host}`,
    `https://${host}`,
    `http://${host}:*`,
    `https://${host}:*`,
  ]),
  'app://*',
  'file://*',
  'tauri://*',
  'vscode-webview://*',
  'vscode-file://*',
  'chrome-extension://*',
  'moz-extension://*',
  'safari-web-extension://*',
]

/** Headers a browser client may read: which node answered and why, the request id, when to retry. */
const EXPOSED_HEADERS = ['x-fleet-node', 'x-fleet-reason', 'x-request-id', 'retry-after']

/** How long a browser may reuse a preflight's answer: gin-contrib/cors's default, 12 hours. */
const PREFLIGHT_MAX_AGE_S = 12 * 60 * 60

/**
 * Whether `origin` matches one of `patterns`, where `*` stands for any host text (letters, digits,
 * dots, dashes), a port's `*` for any port, and `*` alone for any origin. Both sides are compared as
 * a browser writes an origin: lower case, and an exact pattern without the scheme's default port
 * (`https://Chat.example.com:443` is `https://chat.example.com`).
 */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true
  const exact = new Set(patterns.filter((pattern) => !pattern.includes('*')).map(asBrowserWritesIt))
  const wildcards = patterns.filter((pattern) => pattern.includes('*')).map(wildcardPattern)
  return (origin) => exact.has(origin.toLowerCase()) || wildcards.some((pattern) => pattern.test(origin))
}

/** `http://localhost:*` as `^http://localhost:\d{1,5}$`, `https://*.example.com` as `^https://[a-z0-9.-]*\.example\.com$`. */
function wildcardPattern(pattern: string): RegExp {
  const parts = pattern.split('*').map(escapeRegExp)
  let source = parts[0] as string
  for (let index = 1; index < parts.length; index++) {
    source += (source.endsWith(':') ? '\\d{1,5}' : '[a-z0-9.-]*') + parts[index]
  }
  return new RegExp(`^${source}$`, 'i')
}

/** An http(s) origin as a browser sends it; any other scheme (an extension's) lower-cased as it is. */
function asBrowserWritesIt(origin: string): string {
  if (!/^https?:\/\//i.test(origin)) return origin.toLowerCase()
  try {
    return new URL(origin).origin
  } catch {
    return origin.toLowerCase()
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

export interface CorsOptions {
  /** `ALLOWED_ORIGINS`: allowed beside the defaults. */
  readonly extraOrigins: readonly string[]
}

/**
 * The paths a browser client may call: the inference APIs and their model lists (`/v1/…`, Ollama's
 * `/api/…` and `/`). Not the agent API, which is open without `AGENT_TOKEN` and whose JSON-only body
 * rule relies on browsers stopping at a preflight nobody answers; not `/api/route`, the dashboard,
 * the metrics or the health checks.
 */
export function isBrowserApiPath(url: string): boolean {
  const path = url.split('?', 1)[0] as string
  if (path === '/' || path.startsWith('/v1/')) return true
  return path.startsWith('/api/') && !isCoordinatorApi(path)
}

const plugin: FastifyPluginAsync<CorsOptions> = async (app, options) => {
  const isAllowed = originMatcher([...DEFAULT_ALLOWED_ORIGINS, ...options.extraOrigins])
  const allowed = {
    // `true`: the request's own origin, echoed.
    origin: true,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    // No `allowedHeaders`: the headers a preflight asks for are allowed (the SDKs' own: OpenAI's
    // x-stainless-*, Anthropic's anthropic-version); the origin is the boundary, the API key still applies.
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
  }
  // No CORS headers: the browser keeps the answer from the page, and a preflight gets a 404.
  const refused = { origin: false }
  await app.register(fastifyCors, {
    delegator: (request, callback) => {
      const { origin } = request.headers
      const isAllowedHere = origin !== undefined && isBrowserApiPath(request.url) && isAllowed(origin)
      callback(null, isAllowedHere ? allowed : refused)
    },
  })
}

export const cors = fp(plugin, { name: 'cors', fastify: '5.x' })
