/**
 * End to end: the built agent against the real coordinator (`@llm-fleet/coordinator`'s dist/main.js)
 * on an ephemeral port, with the fake nvidia-smi answering from the A100 capture and a fake Ollama.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { FleetNodeList } from '@llm-fleet/types'
import { describe, expect, it, onTestFinished } from 'vitest'
import { OLLAMA_ROUTES, startFakeRuntime } from './helpers/fake-runtime.js'
import { AGENT_DIR } from './helpers/fixtures.js'
import { exitWithin, fakeNvidiaSmiFor, startAgent } from './helpers/run-agent.js'

const COORDINATOR_MAIN = join(AGENT_DIR, 'node_modules/@llm-fleet/coordinator/dist/main.js')
const TOKEN = 'e2e-agent-token'

async function startCoordinator(): Promise<{ url: string; child: ChildProcess }> {
  if (!existsSync(COORDINATOR_MAIN)) {
    throw new Error(`${COORDINATOR_MAIN} is missing: run \`pnpm --filter @llm-fleet/coordinator build\``)
  }
  const child = spawn(process.execPath, [COORDINATOR_MAIN], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOST: '127.0.0.1',
      PORT: '0',
      AGENT_TOKEN: TOKEN,
      PUSH_INTERVAL_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  // fastify logs `Server listening at http://127.0.0.1:<port>` once it listens.
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`coordinator did not start:\n${output}`)), 15_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('exit', (code) => reject(new Error(`coordinator exited with ${code}:\n${output}`)))
  })
  return { url, child }
}

async function listNodes(coordinatorUrl: string) {
  const response = await fetch(`${coordinatorUrl}/api/agents`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  expect(response.status).toBe(200)
  return FleetNodeList.parse(await response.json()).nodes
}

/** Polls until `check` returns a value, with a deadline (no fixed sleeps). */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('agent with the real coordinator', () => {
  it('appears in GET /api/agents with its GPUs and score, its metrics update, and SIGTERM drains it', async () => {
    const coordinator = await startCoordinator()
    const runtime = await startFakeRuntime(OLLAMA_ROUTES)
    const agent = startAgent([], {
      COORDINATOR_URL: coordinator.url,
      AGENT_TOKEN: TOKEN,
      NVIDIA_SMI_PATH: fakeNvidiaSmiFor('telegraf__a100-sxm4-v12.xml'),
      RUNTIME_URL: runtime.url,
      ADVERTISE_URL: runtime.url,
      NODE_NAME: 'e2e-a100',
    })

    const node = await eventually(async () => {
      const nodes = await listNodes(coordinator.url)
      return nodes.find((candidate) => candidate.metrics !== null)
    })
    expect(node.name).toBe('e2e-a100')
    expect(node.state).toBe('online')
    expect(node.registration.runtime).toEqual({ kind: 'ollama', url: runtime.url, version: '0.5.7' })
    expect(node.registration.models).toEqual(['llama3.1:8b', 'qwen2.5:7b'])
    expect(node.registration.gpus).toHaveLength(1)
    expect(node.registration.gpus[0]).toMatchObject({
      name: 'NVIDIA A100-SXM4-80GB',
      vramTotalMiB: 81920,
      migEnabled: true,
      computeCapability: '8.0',
    })
    // An A100 80GB SXM with MIG on, scored as its largest (20 GB) instance (README "Compute score").
    expect(node.registration.computeScore).toBe(57.3)
    expect(node.computeScore).toBeGreaterThan(0)
    expect(node.metrics?.runtime.loadedModels).toEqual(['llama3.1:8b'])
    expect(node.metrics?.gpus[0]?.utilizationPct).toBeNull()

    // The agent adopted the coordinator's 300 ms interval: the sample is replaced within a few pushes.
    const firstTimestamp = node.metrics?.timestamp
    const updated = await eventually(async () => {
      const [current] = await listNodes(coordinator.url)
      return current?.metrics !== null && current?.metrics.timestamp !== firstTimestamp ? current : undefined
    })
    expect(updated.id).toBe(node.id)

    agent.child.kill('SIGTERM')
    expect(await exitWithin(agent, 5000)).toEqual({ code: 0, signal: null })
    await eventually(async () => {
      const nodes = await listNodes(coordinator.url)
      const gone = nodes.find((candidate) => candidate.id === node.id)
      return gone === undefined || gone.state === 'draining' ? true : undefined
    })
  })
})
