import { describe, expect, it } from 'vitest'
import { maxOutputTokensOf, parseInferenceBody } from './inference-body.js'

describe("the answer's token limit", () => {
  it.each([
    ['OpenAI chat completions', { max_completion_tokens: 64, max_tokens: 999 }, 64],
    ['OpenAI chat completions, the older field', { max_tokens: 128 }, 128],
    ['OpenAI responses', { max_output_tokens: 300 }, 300],
    ['Anthropic messages', { max_tokens: 1_024 }, 1_024],
  ])('is read from %s', (_api, fields, expected) => {
    expect(maxOutputTokensOf({ model: 'm', ...fields }, 'openai')).toBe(expected)
  })

  it("is read from Ollama's options.num_predict, and Ollama's API ignores a top-level max_tokens", () => {
    expect(maxOutputTokensOf({ model: 'm', options: { num_predict: 42, temperature: 0 } }, 'ollama')).toBe(42)
    expect(maxOutputTokensOf({ model: 'm', max_tokens: 8 }, 'ollama')).toBeUndefined()
    expect(maxOutputTokensOf({ model: 'm', options: { num_predict: 42 } }, 'openai')).toBeUndefined()
  })

  it.each([
    ['no limit', 'openai', {}],
    ["Ollama's infinite generation", 'ollama', { options: { num_predict: -1 } }],
    ["Ollama's fill-the-context", 'ollama', { options: { num_predict: -2 } }],
    ['zero', 'openai', { max_tokens: 0 }],
    ['a fraction', 'openai', { max_tokens: 1.5 }],
    ['a string', 'openai', { max_tokens: '100' }],
    ['options that are not an object', 'ollama', { options: 'fast' }],
  ] as const)('is absent for %s', (_case, apiKind, fields) => {
    expect(maxOutputTokensOf({ model: 'm', ...fields }, apiKind)).toBeUndefined()
  })

  it('comes with the parsed body', () => {
    const raw = Buffer.from(JSON.stringify({ model: 'llama3.1:8b', stream: true, max_tokens: 16 }))
    expect(parseInferenceBody(raw, { apiKind: 'openai', isStreamingByDefault: false })).toMatchObject({
      model: 'llama3.1:8b',
      isStreaming: true,
      maxOutputTokens: 16,
    })
  })
})
