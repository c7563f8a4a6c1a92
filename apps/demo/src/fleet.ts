/**
 * A whole fleet on this machine, as real processes on ephemeral loopback ports: the coordinator, one
 * mock runtime per simulated host, and one real agent per runtime whose fake nvidia-smi prints the
 * host's real capture. Used by the demo and by the end-to-end tests.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type FleetNode, FleetNodeList } from '@llm-fleet/types'
import { describeExit, ManagedProcess, type ProcessExit } from './managed-process.js'
import { pollUntil } from './poll-until.js'
import { binPaths, nvidiaSmiCapturePath } from './repo-paths.js'
import { DEMO_MODEL, runtimeKindOf, type SimulatedHost } from './simulated-host.js'

export interface FleetOptions {
  /** The repository: the built apps, the fake nvidia-smi and fixtures/nvidia-smi. */
  readonly repoRoot: string
  readonly hosts: readonly SimulatedHost[]
  /** The mock runtimes' speed multiplier: 1 is the real GPU's speed; tests use 100. */
  readonly speedScale: number
  /** PUSH_INTERVAL_MS of the coordinator (told to the agents) and of the agents until registered. */
  readonly pushIntervalMs: number
  /** AGENT_TTL_MS; the coordinator's default (3 push intervals) when absent. */
  readonly agentTtlMs?: number
  /** COOL_DOWN_MS; the coordinator's default when absent. */
  readonly coolDownMs?: number
  /** LOAD_BALANCER_MODE (the coordinator validates it); `spec` when absent, whatever the coordinator's default. */
  readonly loadBalancerMode?: string
  /** Models every runtime serves. */
  readonly models?: readonly string[]
  /** A folder for one log file per process; output stays in memory only when absent. */
  readonly logDir?: string
  /** Longest wait for a process to start or for the nodes to come online. */
  readonly startTimeoutMs?: number
}

/** A simulated host's runtime, once it listens. */
interface HostRuntime {
  readonly host: SimulatedHost
  readonly runtimeUrl: string
  readonly runtime: ManagedProcess
}

/** One simulated host: its runtime and its agent. */
export interface FleetHost extends HostRuntime {
  /** The current agent process (replaced by `startAgent`). */
  readonly agent: ManagedProcess
}

/** Called when a process exits that the fleet did not stop: the demo stops; tests fail. */
export type UnexpectedExitListener = (child: ManagedProcess, exit: ProcessExit) => void

const DEFAULT_START_TIMEOUT_MS = 30_000
/** Agents SIGTERMed deregister within 5 s (the agent's promise); the rest stop faster. */
const STOP_GRACE_MS = 6000
/** The coordinator's own SHUTDOWN_GRACE_MS here: requests in flight at the end of a demo may be cut. */
const COORDINATOR_SHUTDOWN_GRACE_MS = 2000
/**
 * All simulated hosts share this machine's CPU, and on a small machine under load it reads near
 * 100 %; with the default threshold (80 %) every node would count as busy and spec-first would turn
 * into round-robin. The GPU captures are static, so their utilization says nothing either.
 */
const BUSY_THRESHOLD_OFF_PCT = '100'

/** Only what the child processes need from our environment; their settings are all set explicitly. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ', 'SYSTEMROOT'] as const

export class Fleet {
  readonly #options: FleetOptions
  readonly #env: Readonly<Record<string, string | undefined>>
  readonly #bins: ReturnType<typeof binPaths>
  readonly #agentToken = randomBytes(24).toString('base64url')
  readonly #runtimes = new Map<string, HostRuntime>()
  readonly #agents = new Map<string, ManagedProcess>()
  /** Every process started, including those still starting: what `close` stops. */
  readonly #children = new Set<ManagedProcess>()
  readonly #stopping = new Set<ManagedProcess>()
  readonly #exitListeners = new Set<UnexpectedExitListener>()
  #coordinator: ManagedProcess | undefined
  #coordinatorUrl = ''
  #isClosing = false

  /**
   * @param env the environment the processes inherit PATH and HOME from (`process.env`).
   */
  constructor(options: FleetOptions, env: Readonly<Record<string, string | undefined>>) {
    this.#options = options
    this.#env = env
    this.#bins = binPaths(options.repoRoot)
  }

  /**
   * Starts everything and resolves once every host's node is registered and online. On failure, stops
   * what it started and rejects with the failing process's output. `close()` may be called meanwhile
   * (Ctrl-C during the start).
   */
  async start(): Promise<void> {
    this.#checkBuilt()
    try {
      await Promise.all([
        this.#startCoordinator(0),
        ...this.#options.hosts.map((host) => this.#startRuntime(host)),
      ])
      if (this.#isClosing) throw new Error('the fleet was closed while starting')
      for (const host of this.#options.hosts) this.#startAgentProcess(host.name)
      await this.waitForOnline()
    } catch (error) {
      await this.close()
      throw error
    }
  }

  /** The coordinator's base URL (`http://127.0.0.1:PORT`), stable across `restartCoordinator`. */
  get coordinatorUrl(): string {
    return this.#coordinatorUrl
  }

  /** The generated AGENT_TOKEN, also required by `GET /api/agents`. */
  get agentToken(): string {
    return this.#agentToken
  }

  get hosts(): readonly FleetHost[] {
    return this.#options.hosts
      .filter((host) => this.#agents.has(host.name))
      .map((host) => this.host(host.name))
  }

  /** Every process the fleet started, running or not (replaced agents included). */
  get processes(): readonly ManagedProcess[] {
    return [...this.#children]
  }

  /** The coordinator process. */
  get coordinator(): ManagedProcess {
    if (this.#coordinator === undefined) throw new Error('the coordinator has not been started')
    return this.#coordinator
  }

  host(name: string): FleetHost {
    const runtime = this.#runtimes.get(name)
    const agent = this.#agents.get(name)
    if (runtime === undefined || agent === undefined) throw new Error(`no simulated host named ${name}`)
    return { ...runtime, agent }
  }

  /** Listens for processes that exit without being stopped by the fleet. */
  onUnexpectedExit(listener: UnexpectedExitListener): () => void {
    this.#exitListeners.add(listener)
    return () => this.#exitListeners.delete(listener)
  }

  /** `GET /api/agents`, parsed. */
  async nodes(): Promise<FleetNode[]> {
    const response = await fetch(`${this.#coordinatorUrl}/api/agents`, {
      headers: { authorization: `Bearer ${this.#agentToken}` },
    })
    if (!response.ok) throw new Error(`GET /api/agents answered ${response.status}`)
    return FleetNodeList.parse(await response.json()).nodes
  }

  /** The node of a simulated host (found by its runtime URL, which is unique), or undefined. */
  async node(hostName: string): Promise<FleetNode | undefined> {
    const { runtimeUrl } = this.host(hostName)
    return (await this.nodes()).find((node) => node.registration.runtime.url === runtimeUrl)
  }

  /** Polls `GET /api/agents` until `accept` returns a value. */
  waitForNodes<T>(
    accept: (nodes: FleetNode[]) => T | undefined,
    what: string,
    timeoutMs = this.#startTimeoutMs,
  ): Promise<T> {
    return pollUntil(async () => accept(await this.nodes()), { what, timeoutMs })
  }

  /** Resolves once the named hosts (default: all) are registered and online; their nodes in that order. */
  waitForOnline(
    hostNames = this.#options.hosts.map((host) => host.name),
    timeoutMs = this.#startTimeoutMs,
  ): Promise<FleetNode[]> {
    const urls = hostNames.map((name) => this.host(name).runtimeUrl)
    return this.waitForNodes(
      (nodes) => {
        const online = urls.map((url) =>
          nodes.find((node) => node.registration.runtime.url === url && node.state === 'online'),
        )
        return online.every((node) => node !== undefined) ? online : undefined
      },
      `${hostNames.join(', ')} online`,
      timeoutMs,
    )
  }

  /**
   * Stops a host's agent: SIGTERM deregisters it (the node drains and goes); SIGKILL is a host that
   * vanished, whose node turns stale after AGENT_TTL_MS.
   */
  async stopAgent(hostName: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<ProcessExit> {
    return this.#stop(this.host(hostName).agent, signal)
  }

  /** Starts a host's agent again (after `stopAgent`); resolves once its node is online. */
  async startAgent(hostName: string): Promise<void> {
    if (this.host(hostName).agent.isRunning) throw new Error(`the agent of ${hostName} is running`)
    this.#startAgentProcess(hostName)
    await this.waitForOnline([hostName])
  }

  /** Stops the coordinator and starts a new one on the same port; the agents register again by themselves. */
  async restartCoordinator(): Promise<void> {
    await this.#stop(this.coordinator, 'SIGTERM')
    const port = Number(new URL(this.#coordinatorUrl).port)
    await this.#startCoordinator(port)
  }

  /** Stops every process, agents first (they deregister while the coordinator is still up). */
  async close(): Promise<void> {
    this.#isClosing = true
    const agents = new Set(this.#agents.values())
    await Promise.all([...agents].map((agent) => this.#stop(agent, 'SIGTERM')))
    const rest = [...this.#children].filter((child) => !agents.has(child))
    await Promise.all(rest.map((child) => this.#stop(child, 'SIGTERM')))
  }

  /** SIGKILLs every process group at once, synchronously: the last resort in `process.on('exit')`. */
  killNow(): void {
    this.#isClosing = true
    for (const child of this.#children) child.killNow()
  }

  get #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS
  }

  #checkBuilt(): void {
    const { coordinator, agent, mockRuntime, fakeNvidiaSmi } = this.#bins
    const missing = [coordinator, agent, mockRuntime, fakeNvidiaSmi].filter((path) => !existsSync(path))
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run pnpm build first)`)
  }

  async #stop(child: ManagedProcess, signal: NodeJS.Signals): Promise<ProcessExit> {
    this.#stopping.add(child)
    return child.stop(signal, STOP_GRACE_MS)
  }

  #spawn(
    name: string,
    script: string,
    env: Record<string, string>,
    args: readonly string[] = [],
  ): ManagedProcess {
    // Nothing may start once close() has begun: it would outlive the fleet.
    if (this.#isClosing) throw new Error(`the fleet is closing: not starting ${name}`)
    const base: Record<string, string | undefined> = {}
    for (const key of INHERITED_ENV) base[key] = this.#env[key]
    const child = ManagedProcess.start({
      name,
      script,
      args,
      env: { ...base, ...env },
      ...(this.#options.logDir === undefined ? {} : { logFile: join(this.#options.logDir, `${name}.log`) }),
    })
    this.#children.add(child)
    void child.exited.then((exit) => {
      if (this.#isClosing || this.#stopping.has(child)) return
      for (const listener of this.#exitListeners) listener(child, exit)
    })
    return child
  }

  async #startCoordinator(port: number): Promise<void> {
    const options = this.#options
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: String(port),
      AGENT_TOKEN: this.#agentToken,
      LOAD_BALANCER_MODE: options.loadBalancerMode ?? 'spec',
      PUSH_INTERVAL_MS: String(options.pushIntervalMs),
      BUSY_CPU_PCT: BUSY_THRESHOLD_OFF_PCT,
      BUSY_GPU_PCT: BUSY_THRESHOLD_OFF_PCT,
      SHUTDOWN_GRACE_MS: String(COORDINATOR_SHUTDOWN_GRACE_MS),
      // The demo shows, and the tests check, that a request goes to a busy node when all are busy;
      // waiting for a free slot instead is the coordinator's opt-in.
      QUEUE_WHEN_BUSY: 'false',
    }
    if (options.agentTtlMs !== undefined) env.AGENT_TTL_MS = String(options.agentTtlMs)
    if (options.coolDownMs !== undefined) env.COOL_DOWN_MS = String(options.coolDownMs)
    const coordinator = this.#spawn('coordinator', this.#bins.coordinator, env)
    this.#coordinator = coordinator
    this.#coordinatorUrl = await coordinator.waitForLogLine((entry) => {
      // fastify's own line: "Server listening at http://127.0.0.1:PORT".
      const match =
        typeof entry.msg === 'string' ? /^Server listening at (http:\/\/\S+)$/.exec(entry.msg) : null
      return match?.[1]
    }, this.#startTimeoutMs)
  }

  async #startRuntime(host: SimulatedHost): Promise<void> {
    const runtime = this.#spawn(`runtime-${host.name}`, this.#bins.mockRuntime, {
      MOCK_RUNTIME_KIND: runtimeKindOf(host),
      MOCK_RUNTIME_PROFILE: host.profile,
      MOCK_RUNTIME_PORT: '0',
      MOCK_RUNTIME_HOST: '127.0.0.1',
      MOCK_RUNTIME_MODELS: (this.#options.models ?? [DEMO_MODEL]).join(','),
      MOCK_RUNTIME_NAME: host.name,
      SPEED_SCALE: String(this.#options.speedScale),
    })
    const runtimeUrl = await runtime.waitForLogLine(
      (entry) =>
        entry.msg === 'mock runtime listening' && typeof entry.url === 'string' ? entry.url : undefined,
      this.#startTimeoutMs,
    )
    this.#runtimes.set(host.name, { host, runtimeUrl, runtime })
  }

  #startAgentProcess(hostName: string): void {
    const current = this.#runtimes.get(hostName)
    if (current === undefined) throw new Error(`no simulated host named ${hostName}`)
    const agent = this.#spawn(`agent-${hostName}`, this.#bins.agent, {
      COORDINATOR_URL: this.#coordinatorUrl,
      AGENT_TOKEN: this.#agentToken,
      NODE_NAME: hostName,
      RUNTIME_URL: current.runtimeUrl,
      RUNTIME_KIND: runtimeKindOf(current.host),
      // The coordinator reaches the runtime on loopback, not on this machine's network address.
      ADVERTISE_URL: current.runtimeUrl,
      MAX_CONCURRENCY: String(current.host.maxConcurrency),
      PUSH_INTERVAL_MS: String(this.#options.pushIntervalMs),
      NVIDIA_SMI_PATH: this.#bins.fakeNvidiaSmi,
      FAKE_NVSMI_XML: nvidiaSmiCapturePath(this.#options.repoRoot, current.host.nvidiaSmiCapture),
    })
    this.#agents.set(hostName, agent)
  }
}

/** `agent-h100-host exited unexpectedly (exit code 1)` and its last output. */
export function describeUnexpectedExit(child: ManagedProcess, exit: ProcessExit): string {
  return `${child.name} exited unexpectedly (${describeExit(exit)})\n${child.outputTail(15)}`
}
