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
 * Whether `origin` matches one of `patterns`, where `*` stands for any text and `*` alone for any
 * origin. Both sides are compared as a browser writes an origin: lower case, without the scheme's
 * default port (`https://Chat.example.com:443` is `https://chat.example.com`).
 */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true
  const exact = new Set(patterns.filter((pattern) => !pattern.includes('*')).map(asBrowserWritesIt))
  const wildcards = patterns
    .filter((pattern) => pattern.includes('*'))
    .map((pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i'))
  return (origin) => exact.has(origin.toLowerCase()) || wildcards.some((pattern) => pattern.test(origin))
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

const plugin: FastifyPluginAsync<CorsOptions> = async (app, options) => {
  const isAllowed = originMatcher([...DEFAULT_ALLOWED_ORIGINS, ...options.extraOrigins])
  await app.register(fastifyCors, {
    // Another origin gets no CORS headers: the browser keeps the answer from the page.
    origin: (origin, callback) => callback(null, origin !== undefined && isAllowed(origin)),
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    // No `allowedHeaders`: the headers a preflight asks for are allowed (the SDKs' own: OpenAI's
    // x-stainless-*, Anthropic's anthropic-version); the origin is the boundary, the API key still applies.
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
  })
}

export const cors = fp(plugin, { name: 'cors', fastify: '5.x' })
