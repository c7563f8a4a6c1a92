/**
 * A runtime that answers 401 or 403 refused the node's registered key (the client's is never
 * forwarded): the node is at fault, so the request fails over and the node's failure counts toward its
 * cool-down; with no node left the client gets the coordinator's 502 naming that node, never the
 * runtime's "invalid API key", which would blame the client's own key.
 */
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { judgeHead } from '../src/proxy/upstream-verdict.js'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL, totalInFlight, waitFor } from './helpers/start-coordinator.js'

const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: false }

/**
 * A runtime answering `refusal` to every request (preferred: score 900, spec mode) beside a good one,
 * and `requests` chats sent one after another, each of which the good one must answer.
 */
async function refusingBesideGood(
  refusal: { readonly statusCode: number; readonly message: string },
  hostname: string,
  requests: number,
) {
  const refusing = await startFakeRuntime({ name: 'refusing', mode: { kind: 'status', ...refusal } })
  const good = await startFakeRuntime({ name: 'good' })
  const coordinator = await startProxyHarness({ loadBalancerMode: 'spec', coolDownMs: 600_000 })
  const refusingId = coordinator.addNode(refusing.url, { computeScore: 900, hostname })
  coordinator.addNode(good.url, { computeScore: 100 })
  const client = createClient()
  for (let i = 0; i < requests; i++) {
    const response = await postJson(client, `${coordinator.url}/v1/chat/completions`, chat)
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-runtime']).toBe('good')
    await response.body.dump()
  }
  return { refusing, refusingId, coordinator }
}

describe("a runtime that refuses the coordinator's credentials", () => {
  it.each([401, 403])(
    '(%d) fails over to another node, and the refusing node counts a failure',
    async (status) => {
      // Three failures in a row put a node into cool-down: the third request then goes elsewhere at once.
      const { refusing, refusingId, coordinator } = await refusingBesideGood(
        { statusCode: status, message: 'Unauthorized' },
        'gpu-bad-key',
        4,
      )
      expect(refusing.requests).toHaveLength(3)
      expect(coordinator.registry.get(refusingId)?.coolingDownUntil).not.toBeNull()
      const warnings = coordinator.logs.filter((line) => line.level === 40 && line.node === 'gpu-bad-key')
      expect(warnings.map((line) => line.msg)).toContain('upstream failed: failing over')
      expect(JSON.stringify(warnings)).toContain('RUNTIME_API_KEY')
    },
  )

  it("a refusal naming the model (a gateway's per-model access) skips the node for that model, without a cool-down", async () => {
    const {
      refusing: gateway,
      refusingId: gatewayId,
      coordinator,
    } = await refusingBesideGood(
      { statusCode: 403, message: `key not allowed to access model ${MODEL}` },
      'gpu-gateway',
      3,
    )
    // Skipped for the model after the first refusal, and not cooled down for the others.
    expect(gateway.requests).toHaveLength(1)
    expect(coordinator.registry.get(gatewayId)?.coolingDownUntil).toBeNull()
    expect(coordinator.logs.map((line) => line.msg)).toContain(
      "node's runtime refused its key for a model its list names (the key may not use that model)",
    )

    // With no other node, the client gets the coordinator's 502, not the gateway's words about a key.
    const alone = await startProxyHarness({ loadBalancerMode: 'spec' })
    alone.addNode(gateway.url, { hostname: 'gpu-gateway' })
    const refused = await postJson(createClient(), `${alone.url}/v1/chat/completions`, chat)
    expect(refused.statusCode).toBe(502)
    expect(await refused.body.json()).toMatchObject({
      error: { code: 'FLEET_UPSTREAM_CREDENTIALS_REFUSED' },
    })
    // The gateway's own words stay in the operator's log line.
    await waitFor(() => proxiedLines(alone).length === 1, 'the proxied line')
    expect(JSON.stringify(proxiedLines(alone)[0]?.err)).toContain('key not allowed to access model')
  })

  it("answers a 502 in each API's shape, not the runtime's 401, when no other node can serve", async () => {
    const refusing = await startFakeRuntime({
      name: 'refusing',
      mode: { kind: 'status', statusCode: 401, message: 'Incorrect API key provided' },
    })
    const coordinator = await startProxyHarness({ loadBalancerMode: 'spec', coolDownMs: 600_000 })
    coordinator.addNode(refusing.url, { hostname: 'gpu-bad-key' })
    const client = createClient()

    const openAi = await postJson(client, `${coordinator.url}/v1/chat/completions`, chat)
    expect(openAi.statusCode).toBe(502)
    const openAiBody = (await openAi.body.json()) as { error: { message: string } }
    expect(openAiBody).toMatchObject({
      error: { type: 'server_error', code: 'FLEET_UPSTREAM_CREDENTIALS_REFUSED' },
    })
    expect(openAiBody.error.message).toContain('RUNTIME_API_KEY')
    expect(openAiBody.error.message).toContain('gpu-bad-key')
    expect(openAiBody.error.message).not.toContain('Incorrect API key provided')

    const ollama = await postJson(client, `${coordinator.url}/api/chat`, chat)
    expect(ollama.statusCode).toBe(502)
    expect(await ollama.body.json()).toEqual({ error: expect.stringContaining('RUNTIME_API_KEY') })

    const anthropic = await postJson(client, `${coordinator.url}/v1/messages`, {
      model: MODEL,
      max_tokens: 4,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(anthropic.statusCode).toBe(502)
    expect(await anthropic.body.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } })

    await waitFor(() => totalInFlight(coordinator.registry) === 0, 'leases released')
    // The request's one line says why, the runtime's own words included (for the operator only).
    const lines = proxiedLines(coordinator)
    expect(lines.map((line) => [line.node, line.status])).toEqual([
      ['gpu-bad-key', 502],
      ['gpu-bad-key', 502],
      ['gpu-bad-key', 502],
    ])
    for (const line of lines) expect(JSON.stringify(line.err)).toContain('Incorrect API key provided')
  })
})

describe('judgeHead', () => {
  it('throws the coded 502 naming the node it is given, with what the runtime said as the cause', async () => {
    const refusing = await startFakeRuntime({
      mode: { kind: 'status', statusCode: 403, message: 'key not allowed' },
    })
    const response = await request(`${refusing.url}/v1/chat/completions`, { method: 'POST', body: '{}' })
    const judged = judgeHead(response, MODEL, { name: 'gpu-7' })
    await expect(judged).rejects.toMatchObject({
      code: 'FLEET_UPSTREAM_CREDENTIALS_REFUSED',
      statusCode: 502,
      message: expect.stringMatching(/^node gpu-7's runtime refused .*HTTP 403.*RUNTIME_API_KEY/),
      cause: { message: expect.stringContaining('key not allowed') },
    })
    expect(response.body.readableEnded || response.body.destroyed).toBe(true)
  })
})
