import { startMockRuntime } from '@llm-fleet/mock-runtime'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startAgent } from './helpers/run-agent.js'
import { startStubCoordinator } from './helpers/stub-coordinator.js'

describe('the agent says why its runtime looks down (built dist/main.js, real HTTP)', () => {
  it('a vLLM started with --api-key and no RUNTIME_API_KEY: one warning naming the setting', async () => {
    const runtime = await startMockRuntime({
      kind: 'openai',
      profile: 'a100',
      models: ['m'],
      port: 0,
      apiKey: 'sk-1',
    })
    onTestFinished(() => runtime.close())
    const coordinator = await startStubCoordinator((request) =>
      request.path === '/api/agents'
        ? { status: 201, body: { agentId: 'node-1', pushIntervalMs: 200 } }
        : { status: 204 },
    )
    const agent = startAgent([], {
      COORDINATOR_URL: coordinator.url,
      NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
      RUNTIME_URL: runtime.url,
      PUSH_INTERVAL_MS: '200',
    })
    // Three pushes: the runtime was probed (and found guarded) on three ticks.
    await coordinator.waitFor(
      () => coordinator.requests.filter((request) => request.path.endsWith('/metrics')).length >= 3,
    )
    const warnings = agent.logLines().filter((line) => line.msg === 'runtime not answering: reported down')
    expect(warnings).toEqual([
      expect.objectContaining({
        component: 'runtime',
        reason: '/v1/models answered HTTP 401',
        hint: expect.stringContaining('RUNTIME_API_KEY'),
      }),
    ])
  })
})
