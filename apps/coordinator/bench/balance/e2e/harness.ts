/**
 * One end-to-end run: in-process mock Ollamas (residency and prefix cache on, each running at a hidden
 * speed factor its agent cannot see), one real agent process per host (built apps/agent with the fake
 * nvidia-smi printing a real capture), a real coordinator process with the strategy under test, and
 * the chat-session workload sent through the coordinator's `/api/chat` proxy. Records what each answer
 * says happened, and what each runtime reports afterwards.
 */
import { randomBytes } from 'node:crypto'
import { type MockRuntime, type ProfileId, startMockRuntime } from '@llm-fleet/mock-runtime'
import { FleetNodeList } from '@llm-fleet/types'
import { Agent, request } from 'undici'
import { freePort } from '../../internal/child-process.js'
import { BINS, type Child, capturePath, pollUntil, startChild } from './processes.js'
import { type App, apps, type Session, sessions, type WorkloadShape } from './workload.js'

export interface E2eHost {
  readonly name: string
  readonly profile: ProfileId
  /** What the agent's nvidia-smi prints (fixtures/nvidia-smi). */
  readonly capture: string
  /** Speed the runtime really runs at relative to its profile (throttling, a noisy neighbour): unseen by the agent. */
  readonly hiddenSpeed: number
  readonly vramGiB: number
  readonly loadGBs: number
  readonly maxConcurrency: number
}

export interface E2eOptions {
  readonly hosts: readonly E2eHost[]
  readonly models: readonly string[]
  readonly workload: WorkloadShape
  /** LOAD_BALANCER_MODE; the coordinator's default when undefined. */
  readonly mode: string | undefined
  /** Multiplies every host's speed (a simulated second lasts 1/speedScale s here). */
  readonly speedScale: number
  readonly pushIntervalMs: number
  readonly startTimeoutMs?: number
}

/** One answered turn. */
export interface TurnRecord {
  readonly session: number
  readonly turn: number
  readonly app: number
  readonly model: string
  readonly node: string
  readonly ok: boolean
  readonly ttftMs: number
  readonly e2eMs: number
  readonly loadDurationNs: number
  readonly promptEvalCount: number
  readonly promptEvalDurationNs: number
  readonly evalCount: number
}

export interface HostReport {
  readonly name: string
  /** `/api/ps` of the runtime at the end, by name. */
  readonly loaded: readonly string[]
  readonly promptTokens: number
  readonly cachedTokens: number
  readonly coldLoads: number
}

export interface E2eRun {
  readonly turns: readonly TurnRecord[]
  readonly hosts: readonly HostReport[]
  readonly wallMs: number
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, ms)))

export async function runE2e(options: E2eOptions): Promise<E2eRun> {
  const runtimes: MockRuntime[] = []
  const children: Child[] = []
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 10_000, bodyTimeout: 120_000 })
  try {
    for (const host of options.hosts) runtimes.push(await startRuntime(host, options))
    const token = randomBytes(18).toString('base64url')
    const port = await freePort()
    const coordinatorUrl = `http://127.0.0.1:${port}`
    const coordinator = startChild('coordinator', BINS.coordinator, {
      HOST: '127.0.0.1',
      PORT: String(port),
      AGENT_TOKEN: token,
      ...(options.mode === undefined ? {} : { LOAD_BALANCER_MODE: options.mode }),
      PUSH_INTERVAL_MS: String(options.pushIntervalMs),
      // Every host shares this machine's CPU; its load says nothing about a host's GPU.
      BUSY_CPU_PCT: '100',
      BUSY_GPU_PCT: '100',
      LOG_LEVEL: 'warn',
    })
    children.push(coordinator)
    const timeoutMs = options.startTimeoutMs ?? 30_000
    await pollUntil(
      () => `${coordinatorUrl}/healthz:\n${coordinator.tail()}`,
      async () => {
        const response = await request(`${coordinatorUrl}/healthz`, { dispatcher })
        await response.body.dump()
        return response.statusCode === 200 ? true : undefined
      },
      timeoutMs,
    )
    options.hosts.forEach((host, index) => {
      const url = (runtimes[index] as MockRuntime).url
      children.push(
        startChild(`agent-${host.name}`, BINS.agent, {
          COORDINATOR_URL: coordinatorUrl,
          AGENT_TOKEN: token,
          NODE_NAME: host.name,
          RUNTIME_URL: url,
          RUNTIME_KIND: 'ollama',
          ADVERTISE_URL: url,
          MAX_CONCURRENCY: String(host.maxConcurrency),
          PUSH_INTERVAL_MS: String(options.pushIntervalMs),
          NVIDIA_SMI_PATH: BINS.fakeNvidiaSmi,
          FAKE_NVSMI_XML: capturePath(host.capture),
          LOG_LEVEL: 'warn',
        }),
      )
    })
    await pollUntil(
      () => `every node online:\n${children.map((child) => `${child.name}: ${child.tail()}`).join('\n')}`,
      async () => {
        const response = await request(`${coordinatorUrl}/api/agents`, {
          dispatcher,
          headers: { authorization: `Bearer ${token}` },
        })
        const { nodes } = FleetNodeList.parse(await response.body.json())
        const online = nodes.filter((node) => node.state === 'online').length
        return online === options.hosts.length ? true : undefined
      },
      timeoutMs,
    )
    const startedMs = performance.now()
    const turns = await runWorkload(coordinatorUrl, dispatcher, options.workload)
    const wallMs = performance.now() - startedMs
    const hosts = await Promise.all(
      options.hosts.map((host, index) => hostReport(host.name, runtimes[index] as MockRuntime, dispatcher)),
    )
    return { turns, hosts, wallMs }
  } finally {
    // Agents first, so they deregister while the coordinator still listens.
    await Promise.all(children.slice(1).map((child) => child.stop()))
    await children[0]?.stop()
    await Promise.all(runtimes.map((runtime) => runtime.close()))
    await dispatcher.close()
  }
}

function startRuntime(host: E2eHost, options: E2eOptions): Promise<MockRuntime> {
  return startMockRuntime({
    kind: 'ollama',
    profile: host.profile,
    models: options.models,
    name: host.name,
    speedScale: options.speedScale * host.hiddenSpeed,
    residency: { vramGiB: host.vramGiB, loadGBs: host.loadGBs },
    prefixCache: {},
  })
}

async function hostReport(name: string, runtime: MockRuntime, dispatcher: Agent): Promise<HostReport> {
  const response = await request(`${runtime.url}/api/ps`, { dispatcher })
  const ps = (await response.body.json()) as { models: { name: string }[] }
  const prompts = runtime.stats().prompts
  return {
    name,
    loaded: ps.models.map((model) => model.name),
    promptTokens: prompts?.promptTokens ?? 0,
    cachedTokens: prompts?.cachedTokens ?? 0,
    coldLoads: prompts?.coldLoads ?? 0,
  }
}

async function runWorkload(url: string, dispatcher: Agent, shape: WorkloadShape): Promise<TurnRecord[]> {
  const appList = apps(shape)
  const records: TurnRecord[] = []
  const startMs = performance.now()
  await Promise.all(
    sessions(shape).map(async (session, index) => {
      await sleep(session.startMs - (performance.now() - startMs))
      await runSession(url, dispatcher, appList[session.app] as App, session, index, records)
    }),
  )
  return records
}

async function runSession(
  url: string,
  dispatcher: Agent,
  app: App,
  session: Session,
  index: number,
  records: TurnRecord[],
): Promise<void> {
  const messages: { role: string; content: string }[] = [{ role: 'system', content: app.systemPrompt }]
  for (let turn = 0; turn < session.questions.length; turn++) {
    if (turn > 0) await sleep(session.thinkMs[turn] ?? 0)
    messages.push({ role: 'user', content: session.questions[turn] ?? '' })
    const outcome = await chatTurn(url, dispatcher, app.model, messages, session.maxTokens[turn] ?? 64)
    records.push({ session: index, turn, app: session.app, model: app.model, ...outcome })
    if (!outcome.ok) return
    messages.push({ role: 'assistant', content: outcome.answer })
  }
}

interface ChatOutcome extends Omit<TurnRecord, 'session' | 'turn' | 'app' | 'model'> {
  readonly answer: string
}

/** One streamed `/api/chat` through the coordinator: TTFT at the first content chunk, timings from the last. */
async function chatTurn(
  url: string,
  dispatcher: Agent,
  model: string,
  messages: readonly { role: string; content: string }[],
  maxTokens: number,
): Promise<ChatOutcome> {
  const startMs = performance.now()
  let ttftMs = Number.NaN
  let answer = ''
  let final: Record<string, unknown> = {}
  let node = ''
  let ok = false
  try {
    const response = await request(`${url}/api/chat`, {
      dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true, options: { num_predict: maxTokens } }),
    })
    node = String(response.headers['x-fleet-node'] ?? '')
    let buffered = ''
    for await (const chunk of response.body) {
      buffered += chunk.toString()
      let newline = buffered.indexOf('\n')
      while (newline !== -1) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf('\n')
        if (line === '') continue
        const object = JSON.parse(line) as Record<string, unknown>
        const content = (object.message as { content?: string } | undefined)?.content ?? ''
        if (content !== '' && Number.isNaN(ttftMs)) ttftMs = performance.now() - startMs
        answer += content
        if (object.done === true) final = object
      }
    }
    ok = response.statusCode === 200 && final.done === true
  } catch {
    ok = false
  }
  const e2eMs = performance.now() - startMs
  const number = (key: string) => (typeof final[key] === 'number' ? (final[key] as number) : 0)
  return {
    node,
    ok,
    ttftMs: Number.isNaN(ttftMs) ? e2eMs : ttftMs,
    e2eMs,
    loadDurationNs: number('load_duration'),
    promptEvalCount: number('prompt_eval_count'),
    promptEvalDurationNs: number('prompt_eval_duration'),
    evalCount: number('eval_count'),
    answer,
  }
}
