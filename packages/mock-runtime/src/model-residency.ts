/**
 * Which models a mock Ollama holds in VRAM, following Ollama's scheduler (ollama/ollama
 * `server/sched.go`): at most `maxLoaded` runners (`OLLAMA_MAX_LOADED_MODELS`, default 3 per GPU),
 * weights within VRAM; a model that does not fit unloads the runner `findRunnerToUnload` picks —
 * runners sorted by keep-alive then model name (`ByDurationAndName`), the first idle one — and waits
 * for one to go idle when none is. A cold model is ready size ÷ load bandwidth later; an idle model
 * unloads after the keep-alive. Time is injected (`now`), so the module is pure bookkeeping; the caller
 * waits the returned delay. The balancing benchmark's simulated hosts follow the same rules
 * (apps/coordinator/bench/balance/world/host.ts).
 */

export interface ResidencyOptions {
  readonly vramBytes: number
  readonly maxLoaded: number
  readonly loadBytesPerS: number
  readonly keepAliveMs: number
  readonly now: () => number
}

export interface LoadedModel {
  readonly name: string
  readonly sizeBytes: number
  /** How long until an idle model unloads; undefined while requests use it. */
  readonly expiresInMs: number | undefined
}

interface Runner {
  readonly name: string
  readonly sizeBytes: number
  readyAtMs: number
  refCount: number
  lastUsedMs: number
}

/** What `acquire` answers: wait `waitMs` (the load), or retry after the next release (every runner busy). */
export type Acquired =
  | { readonly kind: 'ready'; readonly waitMs: number; readonly cold: boolean }
  | { readonly kind: 'blocked' }

export class ModelResidency {
  private readonly runners = new Map<string, Runner>()

  constructor(private readonly options: ResidencyOptions) {}

  /** Takes a reference on `name`, loading it (and unloading idle runners) when it is not resident. */
  acquire(name: string, sizeBytes: number): Acquired {
    const now = this.options.now()
    this.expireIdle(now)
    const resident = this.runners.get(name)
    if (resident !== undefined) {
      resident.refCount++
      resident.lastUsedMs = now
      return { kind: 'ready', waitMs: Math.max(0, resident.readyAtMs - now), cold: false }
    }
    if (sizeBytes > this.options.vramBytes) throw new Error(`${name} does not fit in VRAM`)
    while (
      this.runners.size >= this.options.maxLoaded ||
      this.usedBytes() + sizeBytes > this.options.vramBytes
    ) {
      const victim = this.runnerToUnload()
      if (victim === undefined) return { kind: 'blocked' }
      this.runners.delete(victim.name)
    }
    const loadMs = (sizeBytes / this.options.loadBytesPerS) * 1000
    this.runners.set(name, { name, sizeBytes, readyAtMs: now + loadMs, refCount: 1, lastUsedMs: now })
    return { kind: 'ready', waitMs: loadMs, cold: true }
  }

  release(name: string): void {
    const runner = this.runners.get(name)
    if (runner === undefined) return
    runner.refCount = Math.max(0, runner.refCount - 1)
    runner.lastUsedMs = this.options.now()
  }

  /** `/api/ps`: the models loaded (or loading) now, by name. */
  loaded(): LoadedModel[] {
    const now = this.options.now()
    this.expireIdle(now)
    return [...this.runners.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((runner) => ({
        name: runner.name,
        sizeBytes: runner.sizeBytes,
        expiresInMs: runner.refCount > 0 ? undefined : runner.lastUsedMs + this.options.keepAliveMs - now,
      }))
  }

  private usedBytes(): number {
    let sum = 0
    for (const runner of this.runners.values()) sum += runner.sizeBytes
    return sum
  }

  /** server/sched.go `findRunnerToUnload` with equal keep-alives: name order, first idle runner. */
  private runnerToUnload(): Runner | undefined {
    return [...this.runners.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .find((runner) => runner.refCount === 0)
  }

  private expireIdle(now: number): void {
    for (const [name, runner] of this.runners) {
      if (runner.refCount === 0 && now - runner.lastUsedMs > this.options.keepAliveMs)
        this.runners.delete(name)
    }
  }
}
