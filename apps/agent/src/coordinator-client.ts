/**
 * One coordinator's agent API, through ky. Every answer becomes a typed outcome: ky's HTTPError and
 * network errors never leave this module, and ky's own retry is off because the push loop owns
 * retrying (with backoff in exactly one place).
 */
import {
  type AgentMetrics,
  type AgentRegistration,
  formatZodError,
  type RegistrationAccepted,
  RegistrationAccepted as RegistrationAcceptedSchema,
} from '@llm-fleet/types'
import ky, { type KyInstance } from 'ky'
import { fetchCauseCode } from './fetch-failure.js'

export type RegisterOutcome =
  | { kind: 'ok'; accepted: RegistrationAccepted }
  | { kind: 'unauthorized' }
  /** The coordinator answered but refused the body, or answered something we cannot read. */
  | { kind: 'rejected'; status: number; message: string }
  /** Network error, timeout, or a 5xx/429 (`status` set: the coordinator answered): try again later. */
  | { kind: 'unreachable'; message: string; status?: number }

export type PushOutcome =
  | { kind: 'ok' }
  /** 404: the coordinator does not know this agent (it restarted): register again. */
  | { kind: 'unknown-agent' }
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'unreachable'; message: string; status?: number }

export type DeregisterOutcome = PushOutcome

/** What the push loop needs from a coordinator; the ky client below is the one implementation. */
export interface CoordinatorApi {
  readonly url: string
  register(registration: AgentRegistration, signal?: AbortSignal): Promise<RegisterOutcome>
  pushMetrics(agentId: string, metrics: AgentMetrics, signal?: AbortSignal): Promise<PushOutcome>
  deregister(agentId: string, signal?: AbortSignal): Promise<DeregisterOutcome>
  /**
   * `GET /healthz`: true when the coordinator process answers 200. The cheap probe an agent in backoff
   * sends every tick, so it finds a coordinator that came back without waiting out its backoff.
   */
  probe(signal?: AbortSignal): Promise<boolean>
}

export interface CoordinatorClientOptions {
  /** The coordinator's base URL, e.g. `http://10.0.0.2:8080`. */
  url: string
  /** Sent as `Authorization: Bearer <token>` when set (`AGENT_TOKEN`). */
  token?: string | undefined
  /** Per-request timeout. */
  timeoutMs: number
}

type Failure =
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'unreachable'; message: string; status?: number }

/** 5xx and 429 are the coordinator's trouble, not ours: retried with backoff like a network error. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408
}

async function describeResponse(response: Response): Promise<string> {
  try {
    const body: unknown = await response.json()
    const message = (body as { message?: unknown } | null)?.message
    return typeof message === 'string' ? message : `HTTP ${response.status}`
  } catch (error) {
    // Not JSON (a proxy's HTML error page): the status says enough.
    void error
    return `HTTP ${response.status}`
  }
}

async function classifyFailure(response: Response): Promise<Failure> {
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel()
    return { kind: 'unauthorized' }
  }
  const message = await describeResponse(response)
  return isRetryableStatus(response.status)
    ? { kind: 'unreachable', message: `HTTP ${response.status}: ${message}`, status: response.status }
    : { kind: 'rejected', status: response.status, message }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${fetchCauseCode(error) ?? error.message}`
  return String(error)
}

export class CoordinatorClient implements CoordinatorApi {
  readonly url: string
  readonly #http: KyInstance

  constructor(options: CoordinatorClientOptions) {
    this.url = options.url
    this.#http = ky.create({
      prefixUrl: options.url,
      timeout: options.timeoutMs,
      retry: 0,
      // Statuses are outcomes here, not exceptions: no HTTPError is ever created.
      throwHttpErrors: false,
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    })
  }

  async register(registration: AgentRegistration, signal?: AbortSignal): Promise<RegisterOutcome> {
    let response: Response
    try {
      response = await this.#http.post('api/agents', { json: registration, ...(signal ? { signal } : {}) })
    } catch (error) {
      return { kind: 'unreachable', message: describeNetworkError(error) }
    }
    if (!response.ok) return classifyFailure(response)
    let body: unknown
    try {
      body = await response.json()
    } catch (error) {
      return {
        kind: 'rejected',
        status: response.status,
        message: `invalid JSON: ${describeNetworkError(error)}`,
      }
    }
    const parsed = RegistrationAcceptedSchema.safeParse(body)
    return parsed.success
      ? { kind: 'ok', accepted: parsed.data }
      : { kind: 'rejected', status: response.status, message: formatZodError(parsed.error) }
  }

  pushMetrics(agentId: string, metrics: AgentMetrics, signal?: AbortSignal): Promise<PushOutcome> {
    return this.#send('post', `api/agents/${encodeURIComponent(agentId)}/metrics`, metrics, signal)
  }

  deregister(agentId: string, signal?: AbortSignal): Promise<DeregisterOutcome> {
    return this.#send('delete', `api/agents/${encodeURIComponent(agentId)}`, undefined, signal)
  }

  async probe(signal?: AbortSignal): Promise<boolean> {
    try {
      const response = await this.#http.get('healthz', signal ? { signal } : {})
      await response.body?.cancel()
      return response.ok
    } catch (error) {
      // Refused or timed out: the coordinator is still down, which is what the answer says.
      void error
      return false
    }
  }

  async #send(
    method: 'post' | 'delete',
    path: string,
    json: unknown,
    signal?: AbortSignal,
  ): Promise<PushOutcome> {
    let response: Response
    try {
      response = await this.#http(path, {
        method,
        ...(json === undefined ? {} : { json }),
        ...(signal ? { signal } : {}),
      })
    } catch (error) {
      return { kind: 'unreachable', message: describeNetworkError(error) }
    }
    if (response.status === 404) {
      await response.body?.cancel()
      return { kind: 'unknown-agent' }
    }
    if (!response.ok) return classifyFailure(response)
    await response.body?.cancel()
    return { kind: 'ok' }
  }
}
