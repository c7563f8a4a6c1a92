/**
 * The four seeded workloads. A prompt is a token stream cut into BLOCK_TOKENS blocks; shared parts
 * (an application's system prompt, a RAG document, an agent's tool definitions) are whole blocks with
 * fixed content ids, and a conversation's own tokens (turns, answers, tool results) are one
 * append-only stream whose block j has the content id (stream, j). A block's id chains its content id
 * onto the previous block's id and the model's, so equal ids mean equal prefixes, as in vLLM's prefix
 * caching; host caches and router-side prefix trees both work on these ids.
 */
import { BLOCK_TOKENS, MODELS } from './catalog.js'

export const WORKLOADS = ['chat', 'rag', 'agentic', 'long-tail'] as const
export type WorkloadName = (typeof WORKLOADS)[number]

export interface WorkloadRequest {
  readonly arrivalMs: number
  readonly model: string
  readonly promptTokens: number
  readonly outputTokens: number
  readonly promptBlocks: Int32Array
  /** Blocks of prompt + answer (what the next turn of the conversation starts with). */
  readonly answerBlocks: Int32Array
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) | 0
}

/** Zipf(s) over n ranks: P(rank k) ∝ 1 / k^s. */
export function zipfSampler(n: number, s: number): (random: () => number) => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s)
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  const cumulative: number[] = []
  let running = 0
  for (const weight of weights) {
    running += weight / total
    cumulative.push(running)
  }
  return (random) => {
    const pick = random()
    const index = cumulative.findIndex((edge) => pick < edge)
    return index === -1 ? n - 1 : index
  }
}

function intBetween(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1))
}

/** Lognormal with the given mean and σ of the log, clipped. */
function lognormal(random: () => number, mean: number, sigma: number, low: number, high: number): number {
  const u = Math.max(1e-12, random())
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  const value = Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * z)
  return Math.max(low, Math.min(high, Math.round(value)))
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}

/** A shared segment: whole blocks with fixed content ids. */
interface Segment {
  readonly blocks: Int32Array
}

function segment(random: () => number, tokens: number): Segment {
  const count = Math.max(1, Math.round(tokens / BLOCK_TOKENS))
  return { blocks: Int32Array.from({ length: count }, () => (random() * 2 ** 31) | 0) }
}

/** Chains shared segments then `streamTokens` of one stream into block ids for `model`. */
function chain(model: number, shared: readonly Segment[], stream: number, streamTokens: number): Int32Array {
  const sharedCount = shared.reduce((sum, part) => sum + part.blocks.length, 0)
  const streamBlocks = Math.floor(streamTokens / BLOCK_TOKENS)
  const ids = new Int32Array(sharedCount + streamBlocks)
  let id = mix(0x5eed, model)
  let at = 0
  for (const part of shared) {
    for (const content of part.blocks) {
      id = mix(id, content)
      ids[at++] = id
    }
  }
  for (let j = 0; j < streamBlocks; j++) {
    id = mix(id, mix(stream, j))
    ids[at++] = id
  }
  return ids
}

function sharedTokens(shared: readonly Segment[]): number {
  return shared.reduce((sum, part) => sum + part.blocks.length, 0) * BLOCK_TOKENS
}

const MAIN = ['llama3.1:8b', 'llama3.2:3b', 'qwen2.5:14b', 'qwen2.5:32b', 'llama3.1:70b'] as const
const modelIndex = (id: string) => MODELS.findIndex((model) => model.id === id)

interface SessionPlan {
  readonly model: string
  readonly shared: readonly Segment[]
  readonly turns: number
  readonly thinkMs: number
  readonly userTokens: () => number
  readonly outputTokens: () => number
}

/** Requests of sessions starting as a Poisson stream at `sessionsPerMs`, until `endMs`. */
function sessions(
  random: () => number,
  sessionsPerMs: number,
  endMs: number,
  plan: () => SessionPlan,
  lookbackMs = 0,
): WorkloadRequest[] {
  const requests: WorkloadRequest[] = []
  // Sessions start before 0 too, so that the run begins in the steady state of turns in progress.
  let startMs = -lookbackMs
  let stream = 1
  for (;;) {
    startMs += exponential(random, 1 / sessionsPerMs)
    if (startMs >= endMs) break
    const session = plan()
    const model = modelIndex(session.model)
    const base = sharedTokens(session.shared)
    let streamTokens = 0
    let atMs = startMs
    stream++
    for (let turn = 0; turn < session.turns && atMs < endMs; turn++) {
      streamTokens += session.userTokens()
      const output = session.outputTokens()
      if (atMs >= 0)
        requests.push({
          arrivalMs: atMs,
          model: session.model,
          promptTokens: base + streamTokens,
          outputTokens: output,
          promptBlocks: chain(model, session.shared, stream, streamTokens),
          answerBlocks: chain(model, session.shared, stream, streamTokens + output),
        })
      streamTokens += output
      atMs += session.thinkMs + exponential(random, session.thinkMs)
    }
  }
  return requests.sort((a, b) => a.arrivalMs - b.arrivalMs)
}

interface Generator {
  /** Mean requests per session, to turn a request rate into a session rate. */
  readonly meanTurns: number
  readonly generate: (random: () => number, requestsPerMs: number, endMs: number) => WorkloadRequest[]
}

function chat(): Generator {
  const turns = (random: () => number) => Math.min(12, 1 + Math.floor(exponential(random, 4)))
  return {
    meanTurns: 4.4,
    generate(random, requestsPerMs, endMs) {
      const pickApp = zipfSampler(12, 1.1)
      const pickModel = zipfSampler(MAIN.length, 1.0)
      const apps = Array.from({ length: 12 }, () => ({
        model: MAIN[pickModel(random)] as string,
        system: segment(random, intBetween(random, 256, 2048)),
      }))
      return sessions(
        random,
        requestsPerMs / 4.4,
        endMs,
        () => {
          const app = apps[pickApp(random)] as (typeof apps)[number]
          return {
            model: app.model,
            shared: [app.system],
            turns: turns(random),
            thinkMs: 5_000,
            userTokens: () => intBetween(random, 20, 200),
            outputTokens: () => lognormal(random, 250, 0.8, 8, 1500),
          }
        },
        12 * 5_000 * 3,
      )
    },
  }
}

function rag(): Generator {
  return {
    meanTurns: 1,
    generate(random, requestsPerMs, endMs) {
      const models = ['llama3.1:8b', 'qwen2.5:14b', 'qwen2.5:32b']
      const pickModel = zipfSampler(models.length, 1.0)
      const pickDoc = zipfSampler(300, 1.0)
      const apps = Array.from({ length: 4 }, () => ({
        model: models[pickModel(random)] as string,
        system: segment(random, 512),
        docs: Array.from({ length: 300 }, () => segment(random, intBetween(random, 512, 3072))),
      }))
      return sessions(random, requestsPerMs, endMs, () => {
        const app = apps[Math.floor(random() * apps.length)] as (typeof apps)[number]
        const ranks = new Set<number>()
        while (ranks.size < 3) ranks.add(pickDoc(random))
        return {
          model: app.model,
          shared: [app.system, ...[...ranks].map((rank) => app.docs[rank] as Segment)],
          turns: 1,
          thinkMs: 0,
          userTokens: () => intBetween(random, 30, 120),
          outputTokens: () => lognormal(random, 250, 0.5, 32, 800),
        }
      })
    },
  }
}

function agentic(): Generator {
  return {
    meanTurns: 10,
    generate(random, requestsPerMs, endMs) {
      const models = ['qwen2.5:32b', 'qwen2.5:14b', 'llama3.1:70b', 'llama3.1:8b']
      const pickModel = zipfSampler(models.length, 0.8)
      const agents = Array.from({ length: 6 }, () => ({
        model: models[pickModel(random)] as string,
        tools: segment(random, intBetween(random, 2048, 4096)),
      }))
      return sessions(
        random,
        requestsPerMs / 10,
        endMs,
        () => {
          const agent = agents[Math.floor(random() * agents.length)] as (typeof agents)[number]
          return {
            model: agent.model,
            shared: [agent.tools],
            turns: intBetween(random, 4, 16),
            thinkMs: 15_000,
            userTokens: () => intBetween(random, 200, 1500),
            outputTokens: () => lognormal(random, 900, 0.6, 64, 4000),
          }
        },
        16 * 15_000 * 3,
      )
    },
  }
}

function longTail(): Generator {
  return {
    meanTurns: 1,
    generate(random, requestsPerMs, endMs) {
      const pickModel = zipfSampler(MODELS.length, 1.2)
      const order = [...MODELS.map((model) => model.id)]
      // A fixed popularity order that is not the catalogue's: small and large models mixed.
      order.sort((a, b) => (mix(7, modelIndex(a)) >>> 0) - (mix(7, modelIndex(b)) >>> 0))
      const systems = Array.from({ length: 3 }, () => segment(random, 256))
      return sessions(random, requestsPerMs, endMs, () => ({
        model: order[pickModel(random)] as string,
        shared: [systems[Math.floor(random() * systems.length)] as Segment],
        turns: 1,
        thinkMs: 0,
        userTokens: () => intBetween(random, 100, 1000),
        outputTokens: () => lognormal(random, 200, 0.8, 8, 1500),
      }))
    },
  }
}

export const GENERATORS: Readonly<Record<WorkloadName, Generator>> = {
  chat: chat(),
  rag: rag(),
  agentic: agentic(),
  'long-tail': longTail(),
}

export function generateWorkload(
  name: WorkloadName,
  random: () => number,
  requestsPerS: number,
  durationMs: number,
): WorkloadRequest[] {
  return GENERATORS[name].generate(random, requestsPerS / 1000, durationMs)
}
