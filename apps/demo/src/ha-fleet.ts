/**
 * Several coordinators as one, on this machine: a real front (HAProxy or nginx, running the shipped
 * config from deploy/), two or three coordinators on fixed loopback ports (so that a restarted one
 * comes back where the front expects it), an optional redis-server for SHARED_STATE_URL, one mock
 * runtime per simulated host and one real agent per runtime pushing to every coordinator. Used by the
 * HA test and by `pnpm bench:ha`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FleetNode, FleetNodeList } from '@llm-fleet/types'
import { type FrontKind, frontConfigPath, nginxMainConfig, renderFrontConfig } from './front-config.js'
import { ManagedProcess } from './managed-process.js'
import { pollUntil } from './poll-until.js'
import { binPaths, nvidiaSmiCapturePath } from './repo-paths.js'
import { DEMO_MODEL, runtimeKindOf, type SimulatedHost } from './simulated-host.js'

export interface HaFleetOptions {
  readonly repoRoot: string
  readonly hosts: readonly SimulatedHost[]
  readonly coordinators: number
  readonly front: FrontKind
  /** Run a redis-server and give every coordinator SHARED_STATE_URL. */
  readonly sharedState: boolean
  readonly speedScale: number
  readonly pushIntervalMs: number
  /** The agents' BACKOFF_MAX_MS (their default when absent). */
  readonly backoffMaxMs?: number
  /** SHUTDOWN_READY_GRACE_MS: at least the front's inter × fall. */
  readonly shutdownReadyGraceMs: number
  readonly readyTimeoutMs?: number
  readonly loadBalancerMode?: string
  readonly startTimeoutMs?: number
  /** The environment the processes inherit PATH, HOME, LANG, TMPDIR and TZ from (`process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** A non-Node tool (redis-server, haproxy, nginx) as a child process. */
class ToolProcess {
  readonly #child: ChildProcess
  #output = ''
  readonly exited: Promise<unknown>

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.#child = spawn(toolPath(command), args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.exited = once(this.#child, 'exit')
    this.#child.once('error', (error) => {
      this.#output += `\n${name} failed to start: ${error.message} (scripts/setup.sh installs it)`
    })
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        this.#output = (this.#output + chunk).slice(-20_000)
      })
    }
  }

  get output(): string {
    return this.#output
  }

  get isRunning(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid !== undefined
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.isRunning) return
    this.#child.kill(signal)
    await this.exited
  }
}

/** Debian puts haproxy and nginx in /usr/sbin, which a non-root PATH often lacks. */
function toolPath(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin']) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  return name
}

/** A port nothing listens on now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  await new Promise((resolve) => server.close(resolve))
  return port
}

const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'] as const
const AGENT_TOKEN = 'ha-test-token-0123456789abcdef'

export class HaFleet {
  readonly #options: HaFleetOptions
  readonly #bins: ReturnType<typeof binPaths>
  readonly #dir = mkdtempSync(join(tmpdir(), 'llm-fleet-ha-'))
  readonly #coordinatorPorts: number[] = []
  readonly #coordinators: (ManagedProcess | undefined)[] = []
  readonly #runtimes = new Map<string, { url: string; process: ManagedProcess }>()
  readonly #agents: ManagedProcess[] = []
  #redis: ToolProcess | undefined
  #redisPort = 0
  #front: ToolProcess | undefined
  #frontPort = 0
  /** When `crashCoordinator` last sent SIGKILL (performance.now). */
  lastKillAtMs = 0
  /** When the coordinator `crashCoordinator` last killed had exited (performance.now). */
  lastCrashAtMs = 0

  constructor(options: HaFleetOptions) {
    this.#options = options
    this.#bins = binPaths(options.repoRoot)
  }

  get frontUrl(): string {
    return `http://127.0.0.1:${this.#frontPort}`
  }

  coordinatorUrl(index: number): string {
    return `http://127.0.0.1:${this.#coordinatorPorts[index]}`
  }

  get coordinatorCount(): number {
    return this.#options.coordinators
  }

  get runtimeUrls(): readonly string[] {
    return [...this.#runtimes.values()].map((runtime) => runtime.url)
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.#options.coordinators; i++) this.#coordinatorPorts.push(await freePort())
    this.#frontPort = await freePort()
    if (this.#options.sharedState) {
      this.#redisPort = await freePort()
      await this.startStore()
    }
    await Promise.all([
      ...this.#coordinatorPorts.map((_port, index) => this.startCoordinator(index)),
      ...this.#options.hosts.map((host) => this.#startRuntime(host)),
    ])
    for (const host of this.#options.hosts) this.#startAgent(host)
    await this.#startFront()
    await Promise.all(this.#coordinatorPorts.map((_port, index) => this.waitReady(index)))
    await this.waitAllInRotation()
  }

  /** Starts coordinator `index` on its port (again, after a stop). */
  async startCoordinator(index: number): Promise<void> {
    const options = this.#options
    const env: Record<string, string> = {
      ...this.#baseEnv(),
      HOST: '127.0.0.1',
      PORT: String(this.#coordinatorPorts[index]),
      AGENT_TOKEN,
      LOAD_BALANCER_MODE: options.loadBalancerMode ?? 'spec',
      PUSH_INTERVAL_MS: String(options.pushIntervalMs),
      BUSY_CPU_PCT: '100',
      BUSY_GPU_PCT: '100',
      QUEUE_WHEN_BUSY: 'true',
      SHUTDOWN_GRACE_MS: '20000',
      SHUTDOWN_READY_GRACE_MS: String(options.shutdownReadyGraceMs),
      READY_TIMEOUT_MS: String(options.readyTimeoutMs ?? 20_000),
      LOG_LEVEL: 'warn',
    }
    if (options.sharedState) {
      env.SHARED_STATE_URL = `redis://127.0.0.1:${this.#redisPort}`
      env.SHARED_STATE_HEARTBEAT_MS = '250'
    }
    const coordinator = ManagedProcess.start({
      name: `coordinator-${index + 1}`,
      script: this.#bins.coordinator,
      env,
    })
    this.#coordinators[index] = coordinator
    await pollUntil(
      async () => ((await fetch(`${this.coordinatorUrl(index)}/healthz`)).ok ? true : undefined),
      { what: `coordinator-${index + 1} listening`, timeoutMs: this.#startTimeoutMs },
    )
  }

  /** SIGTERM (a planned restart: it drains) or SIGKILL (a crash). Resolves once it exited. */
  async stopCoordinator(index: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const coordinator = this.#coordinators[index]
    if (coordinator === undefined) return
    await coordinator.stop(signal, 25_000)
  }

  /**
   * SIGKILLs coordinator `index` and returns the requests it had just before: with HAProxy, the
   * sessions HAProxy had open to it (proxied or waiting in its queue); else its proxied requests.
   */
  async crashCoordinator(index: number): Promise<number> {
    const coordinator = this.#coordinators[index]
    if (coordinator === undefined) throw new Error(`no coordinator ${index}`)
    const inFlight =
      this.#options.front === 'haproxy'
        ? ((await this.#frontStats())[index]?.sessions ?? 0)
        : (await this.nodes(index)).reduce((sum, node) => sum + node.inFlight, 0)
    coordinator.killNow()
    this.lastKillAtMs = performance.now()
    await coordinator.exited
    // The crash is over once the process is gone: a request sent between SIGKILL and the exit may still
    // reach the dying process, and counts with those that were running on it.
    this.lastCrashAtMs = performance.now()
    return inFlight
  }

  /** Coordinator `index`'s `GET /api/agents`. */
  async nodes(index: number): Promise<FleetNode[]> {
    const response = await fetch(`${this.coordinatorUrl(index)}/api/agents`, {
      headers: { authorization: `Bearer ${AGENT_TOKEN}` },
    })
    if (!response.ok) throw new Error(`GET /api/agents answered ${response.status}`)
    return FleetNodeList.parse(await response.json()).nodes
  }

  /** Coordinator `index`'s `/readyz` status code and body. */
  async readiness(index: number): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.coordinatorUrl(index)}/readyz`)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  /** Resolves once coordinator `index` is ready with every host online; returns when (performance.now). */
  async waitReady(index: number, timeoutMs = this.#startTimeoutMs): Promise<number> {
    const hosts = this.#options.hosts.length
    return pollUntil(
      async () => {
        const { status, body } = await this.readiness(index)
        return status === 200 && body.online === hosts ? performance.now() : undefined
      },
      { what: `coordinator-${index + 1} ready with ${hosts} nodes`, timeoutMs, intervalMs: 25 },
    )
  }

  /** Resolves once coordinator `index` lists every host online (ready or not); when (performance.now). */
  async waitAllNodesOnline(index: number, timeoutMs = this.#startTimeoutMs): Promise<number> {
    const hosts = this.#options.hosts.length
    return pollUntil(
      async () => {
        const nodes = await this.nodes(index)
        return nodes.filter((node) => node.state === 'online').length === hosts
          ? performance.now()
          : undefined
      },
      { what: `coordinator-${index + 1} with ${hosts} nodes online`, timeoutMs, intervalMs: 25 },
    )
  }

  async startStore(): Promise<void> {
    const redis = new ToolProcess('redis-server', 'redis-server', [
      '--port',
      String(this.#redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ])
    this.#redis = redis
    await pollUntil(async () => (redis.output.includes('Ready to accept connections') ? true : undefined), {
      what: `redis-server ready\n${redis.output}`,
      timeoutMs: this.#startTimeoutMs,
    })
  }

  /** Kills the store (the coordinators then take a 1/N share each). */
  async stopStore(): Promise<void> {
    await this.#redis?.stop('SIGKILL')
  }

  /** Each runtime's peak concurrent generations since the last reset, by runtime URL. */
  async peaks(): Promise<Map<string, number>> {
    const peaks = new Map<string, number>()
    for (const url of this.runtimeUrls) {
      const stats = (await (await fetch(`${url}/_mock/stats`)).json()) as { peak: number }
      peaks.set(url, stats.peak)
    }
    return peaks
  }

  async resetPeaks(): Promise<void> {
    for (const url of this.runtimeUrls) {
      const response = await fetch(`${url}/_mock/reset`, { method: 'POST' })
      await response.body?.cancel()
    }
  }

  /** maxConcurrency by runtime URL. */
  maxConcurrency(): Map<string, number> {
    const limits = new Map<string, number>()
    for (const host of this.#options.hosts) {
      const runtime = this.#runtimes.get(host.name)
      if (runtime !== undefined) limits.set(runtime.url, host.maxConcurrency)
    }
    return limits
  }

  /** Output of every process, for a failing test's message. */
  describe(): string {
    const parts = [
      ...this.#coordinators.map((child) =>
        child === undefined ? '' : `${child.name}:\n${child.outputTail(10)}`,
      ),
      ...this.#agents.map((child) => `${child.name}:\n${child.outputTail(5)}`),
      this.#front === undefined ? '' : `front:\n${this.#front.output.slice(-2000)}`,
    ]
    return parts.filter((part) => part !== '').join('\n')
  }

  async close(): Promise<void> {
    await Promise.all(this.#agents.map((agent) => agent.stop('SIGTERM', 6000)))
    await this.#front?.stop('SIGKILL')
    await Promise.all(
      [...this.#coordinators, ...[...this.#runtimes.values()].map((runtime) => runtime.process)].map(
        (child) => child?.stop('SIGKILL', 1000),
      ),
    )
    await this.#redis?.stop('SIGKILL')
    rmSync(this.#dir, { recursive: true, force: true })
  }

  get #statsSocket(): string {
    return join(this.#dir, 'haproxy.sock')
  }

  /** HAProxy's view of each coordinator (`UP`, `DOWN`, …), in order; HAProxy fronts only. */
  async frontServerStates(): Promise<string[]> {
    return (await this.#frontStats()).map((row) => row.status)
  }

  /** `show stat` on HAProxy's socket: each coordinator's status and current sessions (requests it has there). */
  async #frontStats(): Promise<{ status: string; sessions: number }[]> {
    const socket = connect(this.#statsSocket)
    socket.setEncoding('utf8')
    let text = ''
    socket.on('data', (chunk: string) => {
      text += chunk
    })
    await once(socket, 'connect')
    socket.end('show stat\n')
    await once(socket, 'close')
    const lines = text.split('\n').filter((line) => line.startsWith('coordinators,coordinator-'))
    // CSV columns: pxname, svname, qcur, qmax, scur, … status is the 18th.
    return lines.map((line) => {
      const columns = line.split(',')
      return { status: columns[17] ?? '', sessions: Number(columns[4] ?? 0) }
    })
  }

  /** Resolves once the front sends to every coordinator (HAProxy: all UP). */
  async waitAllInRotation(timeoutMs = this.#startTimeoutMs): Promise<number> {
    if (this.#options.front !== 'haproxy') return performance.now()
    return pollUntil(
      async () => {
        const states = await this.frontServerStates()
        return states.length === this.#options.coordinators && states.every((state) => state === 'UP')
          ? performance.now()
          : undefined
      },
      { what: 'every coordinator UP in HAProxy', timeoutMs, intervalMs: 50 },
    )
  }

  get #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? 30_000
  }

  #baseEnv(): Record<string, string> {
    const env: Record<string, string> = {}
    for (const key of INHERITED_ENV) {
      const value = this.#options.env[key]
      if (value !== undefined) env[key] = value
    }
    return env
  }

  async #startRuntime(host: SimulatedHost): Promise<void> {
    const runtime = ManagedProcess.start({
      name: `runtime-${host.name}`,
      script: this.#bins.mockRuntime,
      env: {
        ...this.#baseEnv(),
        MOCK_RUNTIME_KIND: runtimeKindOf(host),
        MOCK_RUNTIME_PROFILE: host.profile,
        MOCK_RUNTIME_PORT: '0',
        MOCK_RUNTIME_HOST: '127.0.0.1',
        MOCK_RUNTIME_MODELS: DEMO_MODEL,
        MOCK_RUNTIME_NAME: host.name,
        SPEED_SCALE: String(this.#options.speedScale),
      },
    })
    const url = await runtime.waitForLogLine(
      (entry) =>
        entry.msg === 'mock runtime listening' && typeof entry.url === 'string' ? entry.url : undefined,
      this.#startTimeoutMs,
    )
    this.#runtimes.set(host.name, { url, process: runtime })
  }

  #startAgent(host: SimulatedHost): void {
    const runtime = this.#runtimes.get(host.name)
    if (runtime === undefined) throw new Error(`no runtime for ${host.name}`)
    const env: Record<string, string> = {
      ...this.#baseEnv(),
      COORDINATOR_URL: this.#coordinatorPorts.map((_port, index) => this.coordinatorUrl(index)).join(','),
      AGENT_TOKEN,
      NODE_NAME: host.name,
      RUNTIME_URL: runtime.url,
      RUNTIME_KIND: runtimeKindOf(host),
      ADVERTISE_URL: runtime.url,
      MAX_CONCURRENCY: String(host.maxConcurrency),
      PUSH_INTERVAL_MS: String(this.#options.pushIntervalMs),
      NVIDIA_SMI_PATH: this.#bins.fakeNvidiaSmi,
      FAKE_NVSMI_XML: nvidiaSmiCapturePath(this.#options.repoRoot, host.nvidiaSmiCapture),
      LOG_LEVEL: 'warn',
    }
    if (this.#options.backoffMaxMs !== undefined) env.BACKOFF_MAX_MS = String(this.#options.backoffMaxMs)
    this.#agents.push(ManagedProcess.start({ name: `agent-${host.name}`, script: this.#bins.agent, env }))
  }

  async #startFront(): Promise<void> {
    const kind = this.#options.front
    const config = renderFrontConfig(this.#options.repoRoot, kind, {
      listen: `127.0.0.1:${this.#frontPort}`,
      coordinators: this.#coordinatorPorts.map((port) => `127.0.0.1:${port}`),
    })
    if (kind === 'haproxy') {
      const path = join(this.#dir, 'haproxy.cfg')
      // The one addition to the shipped file: a stats socket, for the test to see what HAProxy sees.
      writeFileSync(path, config.replace(/^global$/m, `global\n    stats socket ${this.#statsSocket}`))
      this.#front = new ToolProcess('haproxy', 'haproxy', ['-db', '-f', path])
    } else {
      const snippet = join(this.#dir, 'llm-fleet.conf')
      writeFileSync(snippet, config)
      const main = join(this.#dir, 'nginx.conf')
      writeFileSync(main, nginxMainConfig(this.#dir, snippet))
      this.#front = new ToolProcess('nginx', 'nginx', [
        '-p',
        this.#dir,
        '-c',
        main,
        '-e',
        join(this.#dir, 'error.log'),
      ])
    }
    const front = this.#front
    await pollUntil(
      async () => {
        if (!front.isRunning)
          throw new Error(
            `${kind} exited: ${front.output} (${frontConfigPath(this.#options.repoRoot, kind)})`,
          )
        return (await fetch(`${this.frontUrl}/healthz`)).ok ? true : undefined
      },
      { what: `${kind} answering`, timeoutMs: this.#startTimeoutMs },
    )
  }
}
