/**
 * Model names as the runtimes match them, end to end: a real coordinator and mock runtimes registered
 * through the agent API. Ollama finds `Llama3.1:8B` and `qwen2.5` (for `qwen2.5:latest`); vLLM only the
 * exact name. Logs, metrics and headers keep the name the client sent.
 */
import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { scrapeMetrics } from './helpers/scrape-metrics.js'
import { type Fleet, startFleet } from './helpers/start-fleet.js'

async function chat(fleet: Fleet, path: string, model: string) {
  const response = await request(`${fleet.url}${path}`, {
    method: 'POST',
    dispatcher: fleet.client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream: false }),
  })
  return {
    status: response.statusCode,
    headers: response.headers,
    body: (await response.body.json()) as unknown,
  }
}

describe('model names', () => {
  it('reaches an Ollama node with any spelling Ollama accepts, on both APIs', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'ollama', models: ['llama3.1:8b', 'qwen2.5:latest'] })
    for (const model of ['Llama3.1:8B', 'LLAMA3.1:8b', 'qwen2.5', 'library/Qwen2.5']) {
      for (const path of ['/api/chat', '/v1/chat/completions']) {
        const answer = await chat(fleet, path, model)
        expect({ model, path, status: answer.status }).toEqual({ model, path, status: 200 })
        expect(answer.headers['x-fleet-node']).toBeDefined()
      }
    }
    const line = fleet.logs.find((entry) => entry.msg === 'proxied' && entry.model === 'Llama3.1:8B')
    expect(line).toMatchObject({ status: 200, route: '/api/chat' })
  })

  it('matches an OpenAI-compatible node exactly', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'openai', models: ['meta-llama/Llama-3.1-8B'] })
    expect((await chat(fleet, '/v1/chat/completions', 'meta-llama/Llama-3.1-8B')).status).toBe(200)
    const wrongCase = await chat(fleet, '/v1/chat/completions', 'meta-llama/llama-3.1-8b')
    expect(wrongCase.status).toBe(404)
    expect(wrongCase.body).toMatchObject({
      error: { message: expect.stringContaining('meta-llama/llama-3.1-8b') },
    })
  })

  it('labels metrics with the name the client sent', async () => {
    const fleet = await startFleet()
    await fleet.addRuntime({ kind: 'ollama', models: ['llama3.1:8b'] })
    expect((await chat(fleet, '/api/chat', 'Llama3.1:8B')).status).toBe(200)
    const metrics = await scrapeMetrics(fleet.url)
    expect(metrics.sum('llm_fleet_requests_total', { model: 'Llama3.1:8B', status: '200' })).toBe(1)
  })
})
