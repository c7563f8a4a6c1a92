/**
 * The e2e run's seeded chat workload, the simulation's `chat` shape at a small scale: sessions arrive
 * as a Poisson process; each belongs to one of a few applications, whose long system prompt (shared by
 * all its sessions) and model it uses; a session has a few turns separated by think time, and each turn
 * sends the whole conversation so far (system prompt, earlier questions and answers, the new question).
 */
import { seededRandom } from '@llm-fleet/mock-runtime'

export interface App {
  readonly model: string
  readonly systemPrompt: string
}

export interface Session {
  readonly startMs: number
  readonly app: number
  readonly questions: readonly string[]
  /** Think time before each turn after the first, ms. */
  readonly thinkMs: readonly number[]
  /** num_predict of each turn. */
  readonly maxTokens: readonly number[]
}

export interface WorkloadShape {
  readonly seed: number
  readonly sessions: number
  /** Mean gap between session starts, ms. */
  readonly meanGapMs: number
  readonly turns: readonly [number, number]
  readonly meanThinkMs: number
  /** Model of each application, in order (the model mix: repeat a model for more weight). */
  readonly appModels: readonly string[]
  /** Tokens (× 4 characters) of each application's system prompt. */
  readonly systemPromptTokens: number
  readonly maxTokens: readonly [number, number]
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet']

function text(random: () => number, chars: number): string {
  let out = ''
  while (out.length < chars) out += `${WORDS[Math.floor(random() * WORDS.length)]} `
  return out.slice(0, chars)
}

export function apps(shape: WorkloadShape): App[] {
  const random = seededRandom(shape.seed)
  return shape.appModels.map((model, index) => ({
    model,
    systemPrompt: `App ${index}. ${text(random, shape.systemPromptTokens * 4)}`,
  }))
}

export function sessions(shape: WorkloadShape): Session[] {
  const random = seededRandom(shape.seed + 1)
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1))
  const exponential = (mean: number) => -Math.log(1 - random()) * mean
  const out: Session[] = []
  let atMs = 0
  for (let i = 0; i < shape.sessions; i++) {
    const turns = between(shape.turns[0], shape.turns[1])
    out.push({
      startMs: atMs,
      app: Math.floor(random() * shape.appModels.length),
      questions: Array.from(
        { length: turns },
        (_, turn) => `Session ${i}, question ${turn}: ${text(random, between(80, 400))}`,
      ),
      thinkMs: Array.from({ length: turns }, () => exponential(shape.meanThinkMs)),
      maxTokens: Array.from({ length: turns }, () => between(shape.maxTokens[0], shape.maxTokens[1])),
    })
    atMs += exponential(shape.meanGapMs)
  }
  return out
}
