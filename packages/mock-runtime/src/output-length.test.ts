import { describe, expect, it } from 'vitest'
import {
  hashString,
  MAX_DEFAULT_OUTPUT_TOKENS,
  outputLengthTokens,
  TOKEN_TEXT_COUNT,
  tokenText,
} from './output-length.js'

describe('outputLengthTokens', () => {
  it.each([0, 1, 7, 500])('is exactly max_tokens = %i when the client sets it', (maxTokens) => {
    expect(outputLengthTokens(12345, maxTokens)).toBe(maxTokens)
  })

  it('is the same for the same seed', () => {
    expect(outputLengthTokens(hashString('hello'))).toBe(outputLengthTokens(hashString('hello')))
  })

  it('is long-tailed with a mean near 250 tokens, within [1, 4096]', () => {
    const lengths = Array.from({ length: 5000 }, (_, seed) =>
      outputLengthTokens(hashString(`prompt ${seed}`)),
    )
    const mean = lengths.reduce((sum, length) => sum + length, 0) / lengths.length
    const sorted = [...lengths].sort((a, b) => a - b)
    const median = sorted[2500] ?? 0
    expect(mean).toBeGreaterThan(220)
    expect(mean).toBeLessThan(280)
    // Long tail: the mean sits above the median and the p99 is several medians away.
    expect(median).toBeLessThan(mean)
    expect(sorted[4950] ?? 0).toBeGreaterThan(3 * median)
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(1)
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_DEFAULT_OUTPUT_TOKENS)
  })
})

describe('tokenText', () => {
  it('is a word and a space, deterministic, and cycles through every word', () => {
    const texts = new Set(Array.from({ length: TOKEN_TEXT_COUNT }, (_, index) => tokenText(99, index)))
    expect(tokenText(99, 3)).toBe(tokenText(99, 3))
    expect(tokenText(99, 3)).toMatch(/^[a-z]+ $/)
    // 44 positions visit all 44 entries (the word list repeats a few words, so compare to distinct words).
    expect(texts.size).toBeGreaterThan(30)
  })
})
