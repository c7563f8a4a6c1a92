import { AgentMetrics, AgentRegistration } from '@llm-fleet/types'
import { describe, expect, it } from 'vitest'
import { NOWHERE_URL } from './helpers/fixtures.js'
import { exitWithin, fakeNvidiaSmiFor, startAgent } from './helpers/run-agent.js'

describe('llm-fleet-agent command line (built dist/main.js)', () => {
  it('--help lists every setting and exits 0', async () => {
    const agent = startAgent(['--help'], {})
    expect(await exitWithin(agent, 10_000)).toEqual({ code: 0, signal: null })
    for (const name of ['COORDINATOR_URL', 'AGENT_TOKEN', 'NVIDIA_SMI_PATH', '--push-interval-ms']) {
      expect(agent.stdout()).toContain(name)
    }
  })

  it.each([
    [{ PUSH_INTERVAL_MS: 'often' }, [] as string[], 'PUSH_INTERVAL_MS'],
    [{}, ['--max-concurrency', '0'], '--max-concurrency'],
    [{ RUNTIME_URL: 'not a url' }, [] as string[], 'RUNTIME_URL'],
    [{}, [] as string[], 'COORDINATOR_URL'],
    // Ports fetch will not connect to: the agent would otherwise run and fail every request, forever.
    [
      { COORDINATOR_URL: 'http://127.0.0.1:8080' },
      ['--runtime-url', 'http://127.0.0.1:6000'],
      '--runtime-url',
    ],
    [{ COORDINATOR_URL: 'http://10.0.0.2:10080' }, [] as string[], 'COORDINATOR_URL'],
  ])('exits 2 on a bad setting, naming it (%o %o)', async (env, args, setting) => {
    const agent = startAgent(args, env)
    expect((await exitWithin(agent, 10_000)).code).toBe(2)
    expect(agent.stderr()).toContain(`invalid setting: ${setting}:`)
  })

  it('`sample` prints a registration and a metrics sample that parse with the wire schemas', async () => {
    const agent = startAgent(['sample'], {
      NVIDIA_SMI_PATH: fakeNvidiaSmiFor('gpuid__h100.xml'),
      RUNTIME_URL: NOWHERE_URL,
      LABELS: 'zone=test',
    })
    expect(await exitWithin(agent, 15_000)).toEqual({ code: 0, signal: null })
    const printed = JSON.parse(agent.stdout()) as { registration: unknown; metrics: unknown }
    const registration = AgentRegistration.parse(printed.registration)
    const metrics = AgentMetrics.parse(printed.metrics)
    expect(registration.gpus).toHaveLength(8)
    expect(registration.gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0' })
    expect(registration.computeScore).toBe(8 * 434)
    expect(registration.labels).toEqual({ zone: 'test' })
    expect(metrics.gpus).toHaveLength(8)
    expect(metrics.runtime.up).toBe(false)
  })

  it('`sample` on a host without nvidia-smi is a CPU-only node with score 0', async () => {
    const agent = startAgent(['sample'], {
      NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
      RUNTIME_URL: NOWHERE_URL,
    })
    expect((await exitWithin(agent, 15_000)).code).toBe(0)
    const printed = JSON.parse(agent.stdout()) as { registration: unknown; metrics: unknown }
    const registration = AgentRegistration.parse(printed.registration)
    expect(registration.gpus).toEqual([])
    expect(registration.computeScore).toBe(0)
    expect(AgentMetrics.parse(printed.metrics).gpuUsage).toBeNull()
  })
})
