/**
 * `GET /metrics` on a real coordinator (port 0) with a fake runtime behind it: the exposition parses
 * with a Prometheus text parser, counters and histograms move by exactly the requests sent, node and
 * GPU gauges follow registration, pushes and removal.
 */
import type { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { type Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { refusedUrl, startFakeRuntime } from './helpers/fake-runtime.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { scrapeMetrics } from './helpers/scrape-metrics.js'
import { createClient, MODEL, waitFor } from './helpers/start-coordinator.js'
import { metrics, registration } from './helpers/wire-samples.js'

const MiB = 1024 * 1024
const CHAT = '/v1/chat/completions'

async function register(client: Agent, baseUrl: string, body: AgentRegistration): Promise<string> {
  const response = await postJson(client, `${baseUrl}/api/agents`, body)
  expect(response.statusCode).toBe(201)
  return ((await response.body.json()) as { agentId: string }).agentId
}

async function push(
  client: Agent,
  baseUrl: string,
  id: string,
  body: AgentMetrics | object,
): Promise<number> {
  const response = await postJson(client, `${baseUrl}/api/agents/${id}/metrics`, body)
  await response.body.dump()
  return response.statusCode
}

async function chat(client: Agent, baseUrl: string, model: string): Promise<number> {
  const response = await postJson(client, `${baseUrl}${CHAT}`, {
    model,
    messages: [{ role: 'user', content: 'hi' }],
  })
  await response.body.text()
  return response.statusCode
}

describe('GET /metrics', () => {
  it('parses, shows nodes and GPUs from the registry, and counts requests, latencies, selections and pushes', async () => {
    const runtime = await startFakeRuntime({ name: 'runtime-a' })
    const harness = await startProxyHarness()
    const client = createClient()

    const empty = await scrapeMetrics(harness.url)
    expect(empty.sum('llm_fleet_nodes')).toBe(0)
    expect(empty.samples('llm_fleet_nodes', { state: 'online' })).toHaveLength(1)

    const id = await register(
      client,
      harness.url,
      registration({ hostname: 'gpu-a', runtime: { kind: 'ollama', url: runtime.url } }),
    )
    expect(await push(client, harness.url, id, metrics(id))).toBe(204)
    expect(await push(client, harness.url, 'unknown-agent-id', metrics('unknown-agent-id'))).toBe(404)
    expect(await push(client, harness.url, id, { ...metrics(id), cpuUsage: 250 })).toBe(400)

    const registered = await scrapeMetrics(harness.url)
    expect(registered.sum('llm_fleet_nodes', { state: 'online' })).toBe(1)
    expect(registered.sum('llm_fleet_node_state', { node: 'gpu-a', state: 'online' })).toBe(1)
    expect(registered.sum('llm_fleet_node_state', { node: 'gpu-a', state: 'stale' })).toBe(0)
    expect(
      registered.samples('llm_fleet_node_info', { node: 'gpu-a', node_id: id, runtime_kind: 'ollama' }),
    ).toHaveLength(1)
    expect(registered.sum('llm_fleet_node_max_concurrency', { node: 'gpu-a' })).toBe(4)
    expect(registered.sum('llm_fleet_node_cpu_ratio', { node: 'gpu-a' })).toBe(0.125)
    expect(registered.sum('llm_fleet_node_memory_ratio', { node: 'gpu-a' })).toBe(0.4)
    expect(
      registered.samples('llm_fleet_gpu_info', { node: 'gpu-a', gpu: '0', name: 'NVIDIA A100-SXM4-80GB' }),
    ).toHaveLength(1)
    expect(registered.sum('llm_fleet_gpu_utilization_ratio', { node: 'gpu-a', gpu: '0' })).toBe(0.37)
    expect(registered.sum('llm_fleet_gpu_memory_used_bytes', { node: 'gpu-a', gpu: '0' })).toBe(40_000 * MiB)
    expect(registered.sum('llm_fleet_gpu_memory_total_bytes', { node: 'gpu-a', gpu: '0' })).toBe(81_920 * MiB)
    expect(registered.sum('llm_fleet_gpu_temperature_celsius', { node: 'gpu-a' })).toBe(61)
    expect(registered.sum('llm_fleet_gpu_power_watts', { node: 'gpu-a' })).toBe(230)
    expect(registered.sum('llm_fleet_agent_pushes_received_total')).toBe(3)
    expect(registered.sum('llm_fleet_agent_pushes_rejected_total', { reason: 'unknown-agent' })).toBe(1)
    expect(registered.sum('llm_fleet_agent_pushes_rejected_total', { reason: 'invalid' })).toBe(1)
    expect(registered.sum('llm_fleet_requests_total')).toBe(0)

    for (let i = 0; i < 3; i++) expect(await chat(client, harness.url, MODEL)).toBe(200)
    const stream = await postJson(client, `${harness.url}/api/chat`, { model: MODEL, messages: [] })
    expect(stream.statusCode).toBe(200)
    await stream.body.text()
    // A model no node serves: counted without a node, under `other` (clients choose this string).
    expect(await chat(client, harness.url, '<script>no-such-model')).toBe(404)
    await waitFor(() => proxiedLines(harness).length === 4)

    const after = await scrapeMetrics(harness.url)
    const served = { node: 'gpu-a', model: MODEL, status: '200' }
    expect(after.sum('llm_fleet_requests_total', { ...served, route: CHAT })).toBe(3)
    expect(after.sum('llm_fleet_requests_total', { ...served, route: '/api/chat' })).toBe(1)
    expect(
      after.sum('llm_fleet_requests_total', { node: '', model: 'other', status: '404', route: CHAT }),
    ).toBe(1)
    expect(after.sum('llm_fleet_requests_total')).toBe(5)
    expect(after.text).not.toContain('no-such-model')
    expect(after.histogramCount('llm_fleet_request_duration_seconds', { route: CHAT, node: 'gpu-a' })).toBe(3)
    expect(after.histogramCount('llm_fleet_request_ttfb_seconds', { route: CHAT, node: 'gpu-a' })).toBe(3)
    expect(after.histogramCount('llm_fleet_request_duration_seconds')).toBe(4)
    expect(after.histogramBounds('llm_fleet_request_duration_seconds', { route: CHAT })).toEqual([
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '20',
      '30',
      '60',
      '120',
      '300',
      '+Inf',
    ])
    expect(after.sum('llm_fleet_selections_total', { node: 'gpu-a' })).toBe(4)
    expect(after.sum('llm_fleet_selections_total', { reason: 'failover' })).toBe(0)
    expect(after.sum('llm_fleet_node_in_flight', { node: 'gpu-a' })).toBe(0)
  })

  it('counts a retry on another node as a failover selection', async () => {
    const runtime = await startFakeRuntime({ name: 'runtime-ok' })
    const harness = await startProxyHarness()
    const client = createClient()
    // The fast node refuses connections, so the balancer's first choice fails over to the slow one.
    harness.addNode(await refusedUrl(), { hostname: 'gpu-dead', computeScore: 5_000 })
    harness.addNode(runtime.url, { hostname: 'gpu-ok', computeScore: 100 })

    expect(await chat(client, harness.url, MODEL)).toBe(200)
    await waitFor(() => proxiedLines(harness).length === 1)

    const scrape = await scrapeMetrics(harness.url)
    expect(scrape.sum('llm_fleet_selections_total', { node: 'gpu-dead', reason: 'fastest-finish' })).toBe(1)
    expect(scrape.sum('llm_fleet_selections_total', { node: 'gpu-ok', reason: 'failover' })).toBe(1)
    expect(scrape.sum('llm_fleet_requests_total', { node: 'gpu-ok', status: '200' })).toBe(1)
    expect(scrape.sum('llm_fleet_requests_total', { node: 'gpu-dead' })).toBe(0)
  })

  it('drops every series of a node once it is removed', async () => {
    const runtime = await startFakeRuntime({ name: 'runtime-a' })
    const harness = await startProxyHarness()
    const client = createClient()
    const idA = await register(
      client,
      harness.url,
      registration({ hostname: 'gpu-a', runtime: { kind: 'ollama', url: runtime.url }, computeScore: 900 }),
    )
    await register(
      client,
      harness.url,
      registration({ hostname: 'gpu-b', runtime: { kind: 'ollama', url: runtime.url }, computeScore: 100 }),
    )
    expect(await push(client, harness.url, idA, metrics(idA))).toBe(204)
    expect(await chat(client, harness.url, MODEL)).toBe(200)
    await waitFor(() => proxiedLines(harness).length === 1)

    const before = await scrapeMetrics(harness.url)
    expect(before.sum('llm_fleet_nodes', { state: 'online' })).toBe(2)
    expect(before.sum('llm_fleet_requests_total', { node: 'gpu-a' })).toBe(1)
    expect(before.samples('llm_fleet_gpu_utilization_ratio', { node: 'gpu-a' })).toHaveLength(1)

    const removed = await request(`${harness.url}/api/agents/${idA}`, {
      method: 'DELETE',
      dispatcher: client,
    })
    expect(removed.statusCode).toBe(204)
    await removed.body.dump()

    const after = await scrapeMetrics(harness.url)
    expect(after.sum('llm_fleet_nodes', { state: 'online' })).toBe(1)
    expect(after.text).not.toContain('node="gpu-a"')
    expect(after.samples('llm_fleet_node_info', { node: 'gpu-b' })).toHaveLength(1)
  })

  it('labels a node whose name another node holds name@id, in every series, until it leaves', async () => {
    const runtimes = await Promise.all([startFakeRuntime(), startFakeRuntime()])
    const harness = await startProxyHarness({ loadBalancerMode: 'spec' })
    const client = createClient()
    const registerTwin = async (runtime: { url: string }) => {
      const body = registration({ hostname: 'twin', runtime: { kind: 'ollama', url: runtime.url } })
      const id = await register(client, harness.url, body)
      expect(await push(client, harness.url, id, metrics(id))).toBe(204)
      return id
    }
    const ids = [await registerTwin(runtimes[0]), await registerTwin(runtimes[1])] as const
    const labels = ['twin', `twin@${ids[1]}`] as const
    const warnings = harness.logs.filter((line) => line.level === 40 && line.otherNodeId !== undefined)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ nodeId: ids[1], otherNodeId: ids[0], metricsLabel: labels[1] })

    // One tier of two: the requests alternate between the twins.
    for (let i = 0; i < 3; i++) expect(await chat(client, harness.url, MODEL)).toBe(200)
    await waitFor(() => proxiedLines(harness).length === 3)

    const scrape = await scrapeMetrics(harness.url)
    expect(scrape.samples('llm_fleet_node_info', { node: labels[0], node_id: ids[0] })).toHaveLength(1)
    expect(scrape.samples('llm_fleet_node_info', { node: labels[1], node_id: ids[1] })).toHaveLength(1)
    const gauges = [...scrape.text.matchAll(/^# TYPE (llm_fleet_\w+) gauge$/gm)].map((match) => `${match[1]}`)
    const perNode = gauges.filter((name) => scrape.samples(name).some((sample) => sample.labels?.node))
    expect(perNode).toContain('llm_fleet_node_in_flight')
    expect(perNode).toContain('llm_fleet_gpu_power_watts')
    for (const name of perNode) {
      const samples = scrape.samples(name)
      // Prometheus keeps one of two samples with the same labels: every series must differ.
      const series = new Set(samples.map((sample) => JSON.stringify(sample.labels)))
      expect(series.size, name).toBe(samples.length)
      expect(new Set(samples.map((sample) => sample.labels?.node)), name).toEqual(new Set(labels))
    }
    for (const [i, node] of labels.entries()) {
      const served = runtimes[i]?.requests.length
      expect(served).toBeGreaterThan(0)
      expect(scrape.sum('llm_fleet_requests_total', { node })).toBe(served)
      expect(scrape.histogramCount('llm_fleet_request_duration_seconds', { node })).toBe(served)
      expect(scrape.sum('llm_fleet_selections_total', { node })).toBe(served)
    }

    const remove = async (id: string) => {
      const removed = await request(`${harness.url}/api/agents/${id}`, {
        method: 'DELETE',
        dispatcher: client,
      })
      expect(removed.statusCode).toBe(204)
      await removed.body.dump()
    }
    await remove(ids[0])
    const oneLeft = await scrapeMetrics(harness.url)
    expect(oneLeft.text).not.toContain('node="twin"')
    expect(oneLeft.sum('llm_fleet_requests_total', { node: labels[1] })).toBe(runtimes[1].requests.length)
    expect(oneLeft.samples('llm_fleet_node_in_flight', { node: labels[1] })).toHaveLength(1)

    await remove(ids[1])
    const noneLeft = await scrapeMetrics(harness.url)
    expect(noneLeft.text).not.toContain('node="twin')
  })
})
