/**
 * Which OpenAI-compatible server an `openai` mock imitates, where they differ: the `/metrics` gauges
 * the agent reads, llama-server's `/slots`, and how `--api-key` guards routes and words its 401.
 * - vLLM (vllm AuthenticationMiddleware): `/v1/*` guarded, `/metrics` and `/health` open; 401
 *   `{"error":"Unauthorized"}`; gauges `vllm:num_requests_running` / `vllm:num_requests_waiting`.
 * - llama-server (tools/server/server-http.cpp `middleware_validate_api_key`): everything guarded but
 *   `/health`, `/v1/health`, `/models`, `/v1/models`, `/`; 401 `{"error":{"message":"Invalid API Key",
 *   "type":"authentication_error","code":401}}`; gauges `llamacpp:requests_processing` /
 *   `llamacpp:requests_deferred` (tools/server/server-context.cpp metrics handler), `/slots`.
 * - SGLang (python/sglang/srt/metrics/collector.py): gauges `sglang:num_running_reqs` /
 *   `sglang:num_queue_reqs`; `--api-key` guards every route but `/health*` and `/metrics*`, 401
 *   `{"error":"Unauthorized"}` (python/sglang/srt/utils.py `add_api_key_middleware`).
 */
import type { ServerResponse } from 'node:http'
import { sendJson } from './http-exchange.js'
import type { RuntimeContext } from './runtime-context.js'

export const SERVER_FLAVORS = ['vllm', 'llama-server', 'sglang'] as const
export type ServerFlavor = (typeof SERVER_FLAVORS)[number]

const LLAMA_SERVER_PUBLIC = new Set(['/health', '/v1/health', '/models', '/v1/models', '/'])

/** Whether `path` needs the API key on this server. */
export function isGuarded(flavor: ServerFlavor, path: string): boolean {
  if (flavor === 'vllm') return path === '/v1' || path.startsWith('/v1/')
  if (flavor === 'llama-server') return !LLAMA_SERVER_PUBLIC.has(path)
  return !path.startsWith('/health') && !path.startsWith('/metrics')
}

/** Whether `authorization` carries `key` (llama-server also reads `x-api-key`). */
export function isAuthorized(
  flavor: ServerFlavor,
  key: string,
  headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined },
): boolean {
  const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined
  if (bearer === key) return true
  return flavor === 'llama-server' && headers['x-api-key'] === key
}

export function sendUnauthorized(flavor: ServerFlavor, response: ServerResponse): void {
  if (flavor === 'llama-server') {
    sendJson(response, 401, {
      error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 },
    })
  } else sendJson(response, 401, { error: 'Unauthorized' })
}

/** llama-server's answer to every request while its model loads. */
export function sendLoading(response: ServerResponse): void {
  sendJson(response, 503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } })
}

/** `GET /metrics`: the running and waiting gauges under this server's names. */
export function handleMetrics(flavor: ServerFlavor, context: RuntimeContext, response: ServerResponse): void {
  const [running, waiting] =
    flavor === 'vllm'
      ? ['vllm:num_requests_running', 'vllm:num_requests_waiting']
      : flavor === 'llama-server'
        ? ['llamacpp:requests_processing', 'llamacpp:requests_deferred']
        : ['sglang:num_running_reqs', 'sglang:num_queue_reqs']
  // vLLM and SGLang label by model; llama-server serves one model and labels nothing.
  const labels =
    flavor === 'llama-server'
      ? ''
      : `{model_name=${JSON.stringify(context.models.keys().next().value ?? '')}}`
  const text = [
    `# HELP ${running} Requests being processed.`,
    `# TYPE ${running} gauge`,
    `${running}${labels} ${context.scheduler.activeCount}`,
    `# HELP ${waiting} Requests waiting.`,
    `# TYPE ${waiting} gauge`,
    `${waiting}${labels} ${context.scheduler.queuedCount}`,
    '',
  ].join('\n')
  response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  response.end(text)
}

/** llama-server `GET /slots`: one slot per concurrent sequence, `is_processing` on the busy ones. */
export function handleSlots(context: RuntimeContext, response: ServerResponse): void {
  const slots = Math.max(1, context.profile.slots)
  sendJson(
    response,
    200,
    Array.from({ length: slots }, (_, id) => ({ id, is_processing: id < context.scheduler.activeCount })),
  )
}
