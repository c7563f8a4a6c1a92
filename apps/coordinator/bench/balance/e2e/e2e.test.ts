/**
 * The e2e harness at a tiny scale (real coordinator and agent processes, mock Ollamas with residency and
 * prefix cache): effects any sane router leaves visible, whatever it decides.
 */
import { existsSync } from 'node:fs'
import { describeModel, GPU_PROFILES, PREFIX_BLOCK_TOKENS, prefillMs } from '@llm-fleet/mock-runtime'
import { describe, expect, it } from 'vitest'
import { E2E_HOSTS } from './fleets.js'
import { type E2eRun, runE2e } from './harness.js'
import { BINS } from './processes.js'

const HOSTS = [E2E_HOSTS[1], E2E_HOSTS[3]].filter((host) => host !== undefined)

describe('e2e balancing harness (tiny)', () => {
  it('serves every turn, and the runtimes report loads, residency and prefix hits that match what they served', async () => {
    const missing = Object.values(BINS).filter((path) => !existsSync(path))
    expect(missing, 'run pnpm build first').toEqual([])
    const run: E2eRun = await runE2e({
      hosts: HOSTS,
      models: ['llama3.1:8b', 'qwen2.5:7b'],
      mode: 'round-robin',
      speedScale: 20,
      pushIntervalMs: 1_000,
      startTimeoutMs: 45_000,
      workload: {
        seed: 7,
        // 16 consecutive-turn pairs: round-robin puts some on the node of the turn before.
        sessions: 8,
        meanGapMs: 100,
        turns: [3, 3],
        meanThinkMs: 50,
        appModels: ['llama3.1:8b', 'qwen2.5:7b'],
        systemPromptTokens: 1_000,
        maxTokens: [4, 12],
      },
    })
    expect(run.turns.every((turn) => turn.ok)).toBe(true)
    expect(run.turns).toHaveLength(24)

    const names = new Set(HOSTS.map((host) => host.name))
    for (const host of run.hosts) {
      const served = run.turns.filter((turn) => turn.node === host.name)
      const servedModels = new Set(served.map((turn) => turn.model))
      // /api/ps lists only models this runtime served.
      for (const model of host.loaded) expect(servedModels).toContain(model)
      // load_duration > 0 exactly on the answers that waited for a load: the runtime's own count.
      expect(served.filter((turn) => turn.loadDurationNs > 0)).toHaveLength(host.coldLoads)
      // Each model a host served had to be loaded there first: some answer waited for it.
      for (const model of servedModels) {
        const loads = served.filter((turn) => turn.model === model && turn.loadDurationNs > 0)
        expect(loads.length, `${host.name} ${model}`).toBeGreaterThan(0)
      }
    }
    expect(run.turns.every((turn) => names.has(turn.node))).toBe(true)

    // A session's next turn on the node that served the previous one, with the model still loaded,
    // finds at least the previous turn's whole prompt (its full blocks) cached: only the rest is
    // prefilled, and prompt_eval_count still counts the whole prompt (Ollama's semantics).
    const repeats = run.turns.flatMap((turn) => {
      const previous = run.turns.find(
        (other) => other.session === turn.session && other.turn === turn.turn - 1 && other.node === turn.node,
      )
      return previous === undefined || turn.loadDurationNs > 0 ? [] : [{ previous, turn }]
    })
    expect(repeats.length).toBeGreaterThan(0)
    for (const { previous, turn } of repeats) {
      const host = HOSTS.find((candidate) => candidate.name === turn.node)
      if (host === undefined) throw new Error(`unknown node ${turn.node}`)
      const model = describeModel(turn.model)
      const atLeastCached = Math.floor(previous.promptEvalCount / PREFIX_BLOCK_TOKENS) * PREFIX_BLOCK_TOKENS
      const atMostNs =
        prefillMs(GPU_PROFILES[host.profile], model, turn.promptEvalCount - atLeastCached) * 1e6
      expect(turn.promptEvalCount).toBeGreaterThan(previous.promptEvalCount)
      expect(turn.promptEvalDurationNs).toBeLessThanOrEqual(Math.round(atMostNs))
      expect(turn.promptEvalDurationNs).toBeLessThan(
        prefillMs(GPU_PROFILES[host.profile], model, turn.promptEvalCount) * 1e6,
      )
    }
    const cached = run.hosts.reduce((sum, host) => sum + host.cachedTokens, 0)
    expect(cached).toBeGreaterThan(0)
  }, 90_000)
})
