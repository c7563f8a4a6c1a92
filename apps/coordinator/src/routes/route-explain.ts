/**
 * `GET /api/route?model=NAME&api=openai|ollama`: which node would serve a request now and why, with
 * every node and the reason it lost. Nothing is sent and no round-robin turn is taken.
 */
import { MAX_MODEL_NAME_LENGTH, RUNTIME_KINDS, RuntimeKind } from '@llm-fleet/types'
import type { FastifyPluginAsync } from 'fastify'
import { explain, formatLossReason } from '../core/balancer/explain.js'
import { formatReason } from '../core/balancer/selection.js'
import type { BalancerState } from '../core/balancer/strategy.js'
import type { NodeView } from '../core/node-view.js'
import { InvalidApiKeyError, InvalidInferenceRequestError } from '../errors.js'
import { bearerAuth } from '../plugins/bearer-auth.js'

export interface RouteExplainOptions {
  readonly registry: { snapshot(): readonly NodeView[] }
  /** The proxy's own state: read, never advanced (explain works on a copy of the cursors). */
  readonly balancerState: BalancerState
  /** Wall clock (cool-downs are wall-clock deadlines). */
  readonly now: () => number
  /** Client API keys (`API_KEYS`): the explanation names nodes, so it is guarded like inference. */
  readonly apiKeys: readonly string[]
}

export const routeExplain: FastifyPluginAsync<RouteExplainOptions> = async (app, options) => {
  await app.register(bearerAuth, { tokens: options.apiKeys, createError: () => new InvalidApiKeyError() })

  app.get('/api/route', async (request) => {
    const { model, api } = parseQuery(request.query)
    const { selection, candidates } = explain(
      options.registry.snapshot(),
      { model, apiKind: api, now: options.now(), exclude: new Set() },
      options.balancerState,
    )
    return {
      model: model ?? null,
      api,
      selected:
        selection.kind === 'selected'
          ? {
              id: selection.node.id,
              name: selection.node.name,
              reason: formatReason(selection.reason),
              reasonKind: selection.reason.kind,
            }
          : null,
      /** Why nothing would serve it (`none-online`, `model-not-served`, `all-cooling-down`). */
      cause: selection.kind === 'none' ? selection.cause : null,
      candidates: candidates.map(({ lostBecause, ...candidate }) => ({
        ...candidate,
        lostBecause: lostBecause === null ? null : formatLossReason(lostBecause),
        lostBecauseKind: lostBecause?.kind ?? null,
      })),
    }
  })
}

function parseQuery(query: unknown): { model: string | undefined; api: RuntimeKind } {
  const isObject = typeof query === 'object' && query !== null
  const model = isObject && 'model' in query ? query.model : undefined
  const apiParameter = isObject && 'api' in query ? query.api : undefined
  if (model !== undefined && (typeof model !== 'string' || model.length === 0)) {
    throw new InvalidInferenceRequestError('model: must be a model name')
  }
  if (typeof model === 'string' && model.length > MAX_MODEL_NAME_LENGTH) {
    throw new InvalidInferenceRequestError(`model: must be at most ${MAX_MODEL_NAME_LENGTH} characters`)
  }
  const api = RuntimeKind.safeParse(apiParameter ?? 'openai')
  if (!api.success) throw new InvalidInferenceRequestError(`api: must be one of ${RUNTIME_KINDS.join(', ')}`)
  return { model, api: api.data }
}
