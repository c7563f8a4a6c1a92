/**
 * Model residency for a running mock Ollama: a request first waits for its model to be loaded (cold:
 * size ÷ load bandwidth, divided by the runtime's speed scale), and holds a reference on it until its
 * response closes; `/api/ps` lists only what is loaded. Rules in model-residency.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ModelResidency } from './model-residency.js'

export interface ResidencySettings {
  /** VRAM for weights, GiB. */
  readonly vramGiB: number
  /** Model load bandwidth, GB/s (disk → VRAM). */
  readonly loadGBs: number
  /** OLLAMA_MAX_LOADED_MODELS; Ollama's default is 3 per GPU (server/sched.go). */
  readonly maxLoadedModels?: number
  /** OLLAMA_KEEP_ALIVE; 5 minutes by default. */
  readonly keepAliveMs?: number
}

export interface Admission {
  /** What the load cost this request, in Ollama's `load_duration` unit (ns, unscaled time). */
  readonly loadDurationNs: number
  release(): void
}

export class ResidencyGate {
  readonly residency: ModelResidency
  /** VRAM for weights (and, with a prefix cache, the KV cache beside them), bytes. */
  readonly vramBytes: number
  private waiters: (() => void)[] = []

  constructor(
    settings: ResidencySettings,
    readonly speedScale: number,
  ) {
    this.vramBytes = settings.vramGiB * 1024 ** 3
    this.residency = new ModelResidency({
      vramBytes: this.vramBytes,
      maxLoaded: settings.maxLoadedModels ?? 3,
      loadBytesPerS: settings.loadGBs * 1e9,
      keepAliveMs: settings.keepAliveMs ?? 5 * 60_000,
      now: () => performance.now() * speedScale,
    })
  }

  /** Resolves once `model` is loaded and referenced; waits while every runner is busy. */
  async admit(model: string, sizeBytes: number): Promise<Admission> {
    for (;;) {
      const acquired = this.residency.acquire(model, sizeBytes)
      if (acquired.kind === 'ready') {
        if (acquired.waitMs > 0) await sleep(acquired.waitMs / this.speedScale)
        let isReleased = false
        return {
          loadDurationNs: Math.round(acquired.waitMs * 1e6),
          release: () => {
            if (isReleased) return
            isReleased = true
            this.residency.release(model)
            const waiters = this.waiters
            this.waiters = []
            for (const wake of waiters) wake()
          },
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }
}
