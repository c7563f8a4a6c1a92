/**
 * The built agent (dist/main.js) after the reader of its stdout or stderr went away (`| head`, a log
 * shipper restarting): its writes there fail with EPIPE, and it must go on pushing metrics, not exit
 * (the node would drop out of the fleet).
 */
import { describe, expect, it } from 'vitest'
import { NOWHERE_URL } from './helpers/fixtures.js'
import { type AgentProcess, exitWithin, startAgent } from './helpers/run-agent.js'
import {
  type RecordedRequest,
  type StubCoordinator,
  startStubCoordinator,
} from './helpers/stub-coordinator.js'

/**
 * Preloaded into the agent: on SIGUSR2, two Node warnings (which Node prints to stderr) an event-loop
 * turn apart, as a dependency's warnings would come, then a stdout line saying both were printed.
 */
const WARN_TWICE_ON_SIGUSR2 = `data:text/javascript,${encodeURIComponent(`
import { writeSync } from 'node:fs'
process.on('SIGUSR2', () => {
  process.emitWarning('first warning')
  setImmediate(() => {
    process.emitWarning('second warning')
    setImmediate(() => writeSync(1, '{"msg":"warned twice"}\\n'))
  })
})`)}`

/** Resolves as `work` does, or rejects, with what the agent wrote on stderr, as soon as it exits. */
function unlessExited<T>(agent: AgentProcess, work: Promise<T>): Promise<T> {
  const exited = agent.exited.then(({ code, signal }) => {
    throw new Error(`the agent exited (${String(code ?? signal)}):\n${agent.stderr()}`)
  })
  return Promise.race([work, exited])
}

/** Resolves once `count` metrics pushes for `agentId` arrived after the first `after` requests. */
function pushesAfter(coordinator: StubCoordinator, after: number, agentId: string, count: number) {
  const isPush = (request: RecordedRequest) => request.path === `/api/agents/${agentId}/metrics`
  return coordinator.waitFor(() => coordinator.requests.slice(after).filter(isPush).length >= count, 10_000)
}

function startAgentAgainst(coordinator: StubCoordinator, env: Record<string, string> = {}) {
  return startAgent([], {
    COORDINATOR_URL: coordinator.url,
    NVIDIA_SMI_PATH: '/nonexistent/nvidia-smi',
    RUNTIME_URL: NOWHERE_URL,
    ...env,
  })
}

describe('llm-fleet-agent with a closed log pipe (dist/main.js)', () => {
  it('keeps pushing after the reader of its stdout went away, and still exits 0 on SIGTERM', async () => {
    let registrations = 0
    let isForgetting = false
    const coordinator = await startStubCoordinator((request) => {
      if (request.method === 'POST' && request.path === '/api/agents') {
        registrations += 1
        return { status: 201, body: { agentId: `node-${registrations}`, pushIntervalMs: 100 } }
      }
      // A coordinator that restarted: the agent logs that, and a new registration, now into EPIPE.
      if (isForgetting && request.path === '/api/agents/node-1/metrics') return { status: 404 }
      return { status: 204 }
    })
    const agent = startAgentAgainst(coordinator)
    await unlessExited(agent, pushesAfter(coordinator, 0, 'node-1', 1))

    agent.child.stdout?.destroy()
    isForgetting = true
    await unlessExited(agent, pushesAfter(coordinator, 0, 'node-2', 2))

    expect(agent.child.exitCode).toBeNull()
    agent.child.kill('SIGTERM')
    expect(await exitWithin(agent, 5000)).toEqual({ code: 0, signal: null })
    expect(coordinator.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/agents/node-2' })
  })

  it('keeps pushing after the reader of its stderr went away and Node printed warnings there', async () => {
    const coordinator = await startStubCoordinator((request) =>
      request.path === '/api/agents'
        ? { status: 201, body: { agentId: 'node-1', pushIntervalMs: 100 } }
        : { status: 204 },
    )
    const agent = startAgentAgainst(coordinator, { NODE_OPTIONS: `--import=${WARN_TWICE_ON_SIGUSR2}` })
    await unlessExited(agent, pushesAfter(coordinator, 0, 'node-1', 1))

    agent.child.stderr?.destroy()
    const warned = new Promise<void>((resolve) => {
      agent.child.stdout?.on('data', () => {
        if (agent.stdout().includes('"msg":"warned twice"')) resolve()
      })
    })
    agent.child.kill('SIGUSR2')
    await unlessExited(agent, warned)
    await unlessExited(agent, pushesAfter(coordinator, coordinator.requests.length, 'node-1', 2))

    expect(agent.child.exitCode).toBeNull()
    agent.child.kill('SIGTERM')
    expect(await exitWithin(agent, 5000)).toEqual({ code: 0, signal: null })
  })
})
