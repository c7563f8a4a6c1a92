import { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { OLLAMA_ROUTES, startFakeRuntime } from './helpers/fake-runtime.js'
import { NOWHERE_URL } from './helpers/fixtures.js'
import { exitWithin, fakeNvidiaSmiFor, startAgent } from './helpers/run-agent.js'
import { startStubCoordinator } from './helpers/stub-coordinator.js'

describe('the agent against a coordinator (built dist/main.js, real HTTP)', () => {
  it('exits 78 when the coordinator answers 401, saying the token is wrong', async () => {
    const coordinator = await startStubCoordinator(() => ({
      status: 401,
      body: { code: 'FLEET_AUTH_INVALID_TOKEN' },
    }))
    const agent = startAgent([], {
      COORDINATOR_URL: coordinator.url,
      AGENT_TOKEN: 'wrong-token',
      NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
      RUNTIME_URL: NOWHERE_URL,
    })
    expect(await exitWithin(agent, 15_000)).toEqual({ code: 78, signal: null })
    expect(coordinator.requests[0]?.authorization).toBe('Bearer wrong-token')
    expect(agent.logLines().some((line) => /AGENT_TOKEN is wrong/.test(String(line.msg)))).toBe(true)
  })

  it('registers, pushes, and on SIGTERM deregisters (DELETE) and exits 0 within 5 s', async () => {
    const coordinator = await startStubCoordinator((request) =>
      request.path === '/api/agents'
        ? { status: 201, body: { agentId: 'node-7', pushIntervalMs: 200 } }
        : { status: 204 },
    )
    const runtime = await startFakeRuntime(OLLAMA_ROUTES)
    const agent = startAgent([], {
      COORDINATOR_URL: coordinator.url,
      NVIDIA_SMI_PATH: fakeNvidiaSmiFor('telegraf__a10g.xml'),
      RUNTIME_URL: runtime.url,
      PUSH_INTERVAL_MS: '500',
    })
    const registered = await coordinator.waitFor((request) => request.path === '/api/agents')
    const registration = AgentRegistration.parse(registered.body)
    expect(registration.gpus.map((gpu) => gpu.name)).toEqual(['NVIDIA A10G'])
    expect(registration.runtime.kind).toBe('ollama')
    expect(registration.models).toEqual(['llama3.1:8b', 'qwen2.5:7b'])
    // Two pushes at the coordinator's 200 ms interval.
    await coordinator.waitFor(
      (request) =>
        request.path === '/api/agents/node-7/metrics' &&
        coordinator.requests.filter((r) => r.path.endsWith('/metrics')).length >= 2,
    )
    const pushed = AgentMetrics.parse(
      coordinator.requests.find((request) => request.path.endsWith('/metrics'))?.body,
    )
    expect(pushed.gpus).toHaveLength(1)
    expect(pushed.runtime.loadedModels).toEqual(['llama3.1:8b'])

    agent.child.kill('SIGTERM')
    const exit = await exitWithin(agent, 5000)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(
      coordinator.requests.some(
        (request) => request.method === 'DELETE' && request.path === '/api/agents/node-7',
      ),
    ).toBe(true)
  })

  it('exits within 5 s on SIGTERM even when the coordinator hangs', async () => {
    const coordinator = await startStubCoordinator((request) =>
      request.method === 'DELETE'
        ? 'hang'
        : request.path === '/api/agents'
          ? { status: 201, body: { agentId: 'node-8', pushIntervalMs: 200 } }
          : { status: 204 },
    )
    const agent = startAgent([], {
      COORDINATOR_URL: coordinator.url,
      NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
      RUNTIME_URL: NOWHERE_URL,
    })
    await coordinator.waitFor((request) => request.path.endsWith('/metrics'))
    agent.child.kill('SIGTERM')
    expect((await exitWithin(agent, 5000)).code).toBe(0)
  })

  it('keeps running and pushes once the coordinator comes back', async () => {
    // Starts against a port with nothing listening, then a coordinator appears on it.
    const probe = await startStubCoordinator()
    const url = probe.url
    await probe.close()
    const agent = startAgent([], {
      COORDINATOR_URL: url,
      NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
      RUNTIME_URL: NOWHERE_URL,
      PUSH_INTERVAL_MS: '200',
    })
    // Wait until it has noticed the coordinator is down (one warning), and check it is still alive.
    const warnedBy = Date.now() + 10_000
    while (!agent.logLines().some((line) => /unreachable/.test(String(line.msg))) && Date.now() < warnedBy) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(agent.logLines().filter((line) => /unreachable/.test(String(line.msg)))).toHaveLength(1)
    expect(agent.child.exitCode).toBeNull()
    const { createServer } = await import('node:http')
    const port = Number(new URL(url).port)
    const seen: string[] = []
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`)
      request.resume()
      if (request.url === '/api/agents') {
        response.writeHead(201, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ agentId: 'back', pushIntervalMs: 200 }))
      } else response.writeHead(204).end()
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      const deadline = Date.now() + 10_000
      while (!seen.includes('POST /api/agents/back/metrics') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(seen).toContain('POST /api/agents/back/metrics')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
