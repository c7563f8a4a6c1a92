/** Every coded error of the coordinator (@fastify/error). Tests assert `code` and `statusCode`. */
import createError from '@fastify/error'
import type { FastifyError } from 'fastify'

// Agent API
export const AgentNotFoundError = createError(
  'FLEET_AGENT_NOT_FOUND',
  'Unknown agent %s: register again',
  404,
)
export const AgentIdMismatchError = createError(
  'FLEET_AGENT_ID_MISMATCH',
  'agentId: the body says %s but the path says %s',
  400,
)
export const RegistryFullError = createError(
  'FLEET_REGISTRY_FULL',
  'The registry holds its maximum of %d nodes',
  503,
)
export const InvalidBodyError = createError('FLEET_INVALID_BODY', '%s', 400)
/** A path parameter, query string or header failed its schema. */
export const InvalidRequestError = createError('FLEET_INVALID_REQUEST', '%s', 400)

// Configuration: main.ts prints the message (one line per bad setting) and exits 2.
export const ConfigInvalidError = createError('FLEET_CONFIG_INVALID', 'Invalid configuration:\n%s', 500)

// Authentication
export const InvalidAgentTokenError = createError(
  'FLEET_AUTH_INVALID_TOKEN',
  'Missing or invalid agent token (Authorization: Bearer <AGENT_TOKEN>)',
  401,
)
export const InvalidApiKeyError = createError(
  'FLEET_AUTH_INVALID_API_KEY',
  'Missing or invalid API key (Authorization: Bearer <key>)',
  401,
)

// Proxy
export const NoCandidateError = createError('FLEET_PROXY_NO_CANDIDATE', '%s', 503)
/** Ollama's pull, push, create, copy, delete and blobs: the coordinator holds no models. */
export const ModelsManagedOnNodesError = createError(
  'FLEET_PROXY_MODELS_MANAGED_ON_NODES',
  '%s is not available through llm-fleet: models are managed on the nodes (run `ollama pull <model>` on a node; its agent reports the model within one push interval)',
  501,
)
/** Worded as Ollama words it (server/routes.go: "model '%s' not found"): tools match that text to offer a pull. */
export const ModelNotServedError = createError(
  'FLEET_PROXY_MODEL_NOT_SERVED',
  "model '%s' not found: no node in the fleet serves it",
  404,
)
/** QUEUE_WHEN_BUSY: the wait queue already holds QUEUE_MAX requests. */
export const QueueFullError = createError(
  'FLEET_PROXY_QUEUE_FULL',
  'Every node is busy and the wait queue is full (%d requests)',
  503,
)
/** QUEUE_WHEN_BUSY: no slot came free within QUEUE_TIMEOUT_MS. */
export const QueueTimeoutError = createError(
  'FLEET_PROXY_QUEUE_TIMEOUT',
  'Every node stayed busy for the %d ms this request waited',
  503,
)
/** The request came back through this coordinator: a node's runtime URL leads to the coordinator itself. */
export const ProxyLoopError = createError(
  'FLEET_PROXY_LOOP',
  "This request already passed through this coordinator (Via %s): a node's runtime URL leads back to it; check that node's RUNTIME_URL and ADVERTISE_URL",
  508,
)
export const InvalidInferenceRequestError = createError('FLEET_PROXY_BAD_REQUEST', '%s', 400)
/**
 * fastify's 413 on an inference API, worded so that an operator knows which setting to raise. It keeps
 * fastify's code (`FST_ERR_CTP_BODY_TOO_LARGE`, the one docs/inference-api.md lists), so clients that
 * match the code still do.
 */
export const BodyTooLargeError = createError(
  'FST_ERR_CTP_BODY_TOO_LARGE',
  "request body is over the coordinator's limit of %d bytes (%s)",
  413,
)
/**
 * fastify's 413 (`Request body is too large`, which names no limit) as `BodyTooLargeError`, naming the
 * route's `limitBytes` and the `setting` that raises it; undefined for any other error. Both error
 * renderings call it: the inference APIs' (describe-error.ts) and the default (error-shape.ts).
 */
export function namingBodyLimit(
  error: FastifyError,
  limitBytes: number,
  setting: string,
): FastifyError | undefined {
  if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return undefined
  return new BodyTooLargeError(limitBytes, setting, { cause: error })
}
export const UpstreamUnreachableError = createError('FLEET_UPSTREAM_UNREACHABLE', '%s', 502)
export const UpstreamTimeoutError = createError('FLEET_UPSTREAM_TIMEOUT', '%s', 504)
/**
 * The runtime answered 401 or 403. The client's credential is never forwarded (hop-by-hop-headers.ts):
 * the runtime refused the key the coordinator sent for the node, its agent's RUNTIME_API_KEY, so the
 * node is at fault, not the client. Based on `UpstreamUnreachableError`, so the forwarder counts it
 * against the node and fails over as for a node it cannot reach (`describeFailure`).
 */
export const UpstreamCredentialsRefusedError = createError(
  'FLEET_UPSTREAM_CREDENTIALS_REFUSED',
  "%s refused the coordinator's credentials (HTTP %d): the RUNTIME_API_KEY that node's agent registered is missing or not the runtime's key",
  502,
  // Typed as ErrorConstructor, but @fastify/error only chains to its prototype (index.js `createError`).
  UpstreamUnreachableError as unknown as ErrorConstructor,
)
/** The runtime answered with a status outside 100-599 (seen behind broken proxies): not HTTP we can pass on. */
export const UpstreamInvalidResponseError = createError('FLEET_UPSTREAM_INVALID_RESPONSE', '%s', 502)
/** The client went away before the response started; logged with nginx's 499, never seen by anyone. */
export const ClientClosedRequestError = createError(
  'FLEET_PROXY_CLIENT_CLOSED',
  'The client closed the request before the response',
  499,
)

// Dashboard
export const DashboardFullError = createError(
  'FLEET_DASHBOARD_FULL',
  'The most dashboards open at once (%d) are open already',
  503,
)
