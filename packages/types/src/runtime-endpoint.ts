/** The LLM runtime an agent fronts, as the coordinator must reach it. */
import { z } from 'zod'
import { MAX_RUNTIME_API_KEY_LENGTH, MAX_TEXT_LENGTH, MAX_URL_LENGTH } from './limits.js'
import { BearerToken } from './primitives.js'

/** The API family a runtime speaks natively. Ollama also serves the OpenAI `/v1/*` routes. */
export const RUNTIME_KINDS = ['ollama', 'openai'] as const
export const RuntimeKind = z.enum(RUNTIME_KINDS)
export type RuntimeKind = z.infer<typeof RuntimeKind>

/**
 * Why a URL to connect to is unusable, or null when it is fine: a plain http(s) origin (a path
 * allowed) naming a host, with no credentials (they would be logged with every failure; tokens have
 * their own settings), query or fragment. `requirePort` also asks for an explicit port, as the
 * coordinator does of the runtime URLs agents advertise. Messages never repeat the URL, which may hold
 * a password: the caller names the setting.
 */
export function describeHttpUrlProblem(value: string, { requirePort = true } = {}): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https'
  if (url.hostname === '') return 'must name a host'
  // URL drops a port equal to the scheme's default, so look at the authority as written.
  const authority = value.slice(url.protocol.length + 2).split(/[/?#]/, 1)[0] ?? ''
  if (requirePort && !/:\d+$/.test(authority)) return 'must include a port'
  if (url.port === '0') return 'must include a port other than 0'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment'
  return null
}

/** An http(s) URL with a host and an explicit port, nothing else. */
export const UpstreamUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .superRefine((value, ctx) => {
    const problem = describeHttpUrlProblem(value)
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
  })

export const RuntimeEndpoint = z.strictObject({
  kind: RuntimeKind,
  /** Base URL of the runtime as the coordinator reaches it, e.g. `http://10.0.0.7:11434`. */
  url: UpstreamUrl,
  /** The runtime's own version (Ollama `/api/version`), when it says; `/api/version` reports it. */
  version: z.string().max(MAX_TEXT_LENGTH).optional(),
  /**
   * The key the runtime demands (`Authorization: Bearer …`: vLLM and llama-server `--api-key`), from
   * the agent's `RUNTIME_API_KEY`. A secret: the coordinator keeps it apart from the registration it
   * stores and never shows, logs or exports it. Printable ASCII, as an HTTP header value must be.
   */
  apiKey: BearerToken.max(MAX_RUNTIME_API_KEY_LENGTH).optional(),
})
export type RuntimeEndpoint = z.infer<typeof RuntimeEndpoint>
