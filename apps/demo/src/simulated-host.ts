/** A GPU host the fleet simulates on this machine: a mock runtime profile plus a real nvidia-smi capture. */
import type { ProfileId, RuntimeKind } from '@llm-fleet/mock-runtime'

export interface SimulatedHost {
  /** The node's name, as `X-Fleet-Node` and `GET /api/agents` show it. */
  readonly name: string
  /** The mock runtime's GPU speed profile. */
  readonly profile: ProfileId
  /** File in the repository's `fixtures/nvidia-smi/` that the host's fake nvidia-smi prints. */
  readonly nvidiaSmiCapture: string
  /** The agent's MAX_CONCURRENCY: in-flight requests at which the node counts as busy. */
  readonly maxConcurrency: number
  /** The runtime it runs: `ollama` (the default), or `openai`, a mock vLLM (its speech-to-text API too). */
  readonly runtimeKind?: RuntimeKind
}

/** The runtime a host runs, the default applied: what its mock runtime plays and its agent detects. */
export const runtimeKindOf = (host: SimulatedHost): RuntimeKind => host.runtimeKind ?? 'ollama'

/**
 * Three hosts whose decode speeds differ 3× step by step, so that spec-first, spill-over and
 * round-robin are each easy to see. The fastest is the 8× H100 capture: the only A100 capture has
 * MIG enabled, and the agent rightly scores a MIG GPU as its largest slice (20 GB), below an RTX 3090.
 */
export const DEMO_HOSTS: readonly SimulatedHost[] = [
  { name: 'h100-host', profile: 'h100', nvidiaSmiCapture: 'gpuid__h100.xml', maxConcurrency: 4 },
  {
    name: 'rtx3090-host',
    profile: 'rtx-3090',
    nvidiaSmiCapture: 'telegraf__rtx-3090-v12.xml',
    maxConcurrency: 3,
  },
  { name: 't4-host', profile: 't4', nvidiaSmiCapture: 'telegraf__tesla-t4.xml', maxConcurrency: 2 },
]

/** The model every simulated runtime serves (for chat, completions and embeddings alike). */
export const DEMO_MODEL = 'llama3.1:8b'
