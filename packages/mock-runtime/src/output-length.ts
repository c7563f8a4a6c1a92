/**
 * Deterministic output lengths and token text: the same prompt always yields the same answer, so tests and
 * benchmarks are reproducible, while lengths still follow a long tail like real chat answers.
 */

/** Mean output length when the request sets no limit, tokens. */
export const MEAN_OUTPUT_TOKENS = 250
/** Longest output the mock generates when the request sets no limit, tokens. */
export const MAX_DEFAULT_OUTPUT_TOKENS = 4096
// Lognormal spread: σ = 0.8 gives a p99/median ratio of about 6, close to chat-answer length tails.
const LOGNORMAL_SIGMA = 0.8
const LOGNORMAL_MU = Math.log(MEAN_OUTPUT_TOKENS) - (LOGNORMAL_SIGMA * LOGNORMAL_SIGMA) / 2

/** 32-bit FNV-1a hash of a string: the per-request seed. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** 32-bit FNV-1a hash of bytes (an uploaded file): the per-request seed where the input is not text. */
export function hashBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = state
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Output length of a request: exactly `maxTokens` when the client set one (the answer runs into the limit,
 * as a benchmark wants), otherwise a lognormal draw (mean ~250) seeded by `seed`, in [1, 4096].
 */
export function outputLengthTokens(seed: number, maxTokens?: number): number {
  if (maxTokens !== undefined) return Math.max(0, Math.floor(maxTokens))
  const random = seededRandom(seed)
  // Box-Muller; 1 - u keeps the logarithm finite.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const length = Math.round(Math.exp(LOGNORMAL_MU + LOGNORMAL_SIGMA * normal))
  return Math.min(MAX_DEFAULT_OUTPUT_TOKENS, Math.max(1, length))
}

const WORDS = [
  'the',
  'fleet',
  'of',
  'graphics',
  'cards',
  'answers',
  'every',
  'prompt',
  'with',
  'simulated',
  'tokens',
  'that',
  'arrive',
  'at',
  'a',
  'steady',
  'pace',
  'while',
  'batching',
  'shares',
  'bandwidth',
  'between',
  'requests',
  'and',
  'queues',
  'hold',
  'the',
  'rest',
  'until',
  'slots',
  'free',
  'up',
  'so',
  'faster',
  'hosts',
  'finish',
  'first',
  'as',
  'expected',
  'in',
  'this',
  'model',
  'of',
  'decoding',
]
// Pre-rendered once: a token is one of these strings, so generating text allocates nothing per token.
const TOKEN_TEXTS: readonly string[] = WORDS.map((word) => `${word} `)

/** Number of distinct token texts. */
export const TOKEN_TEXT_COUNT = TOKEN_TEXTS.length

/** Text of token `index` of a request seeded `seed`: a word and a space (JSON-safe, no escaping needed). */
export function tokenText(seed: number, index: number): string {
  return TOKEN_TEXTS[tokenId(seed, index)] ?? ''
}

/** Id of token `index` of a request seeded `seed`: its place in the mock's vocabulary. */
export function tokenId(seed: number, index: number): number {
  return (seed + index * 7) % TOKEN_TEXTS.length
}

/** The whole answer's text (what a client sends back as the assistant turn). */
export function answerText(seed: number, outputTokens: number): string {
  let text = ''
  for (let i = 0; i < outputTokens; i++) text += tokenText(seed, i)
  return text
}

/** Rough prompt token count (about four characters a token, as tokenizers average on English). */
export function estimateTokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}
