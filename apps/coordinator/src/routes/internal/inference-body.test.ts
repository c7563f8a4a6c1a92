import { describe, expect, it } from 'vitest'
import { maxOutputTokensOf, parseInferenceBody } from './inference-body.js'

describe("the answer's token limit", () => {
  it.each([
    ['OpenAI chat completions', { max_completion_tokens: 64, max_tokens: 999 }, 64],
    ['OpenAI chat completions, the older field', { max_tokens: 128 }, 128],
    ['OpenAI responses', { max_output_tokens: 300 }, 300],
    ['Anthropic messages', { max_tokens: 1_024 }, 1_024],
    ['Ollama', { options: { num_predict: 42, temperature: 0 } }, 42],
  ])('is read from %s', (_api, fields, expected) => {
    expect(maxOutputTokensOf({ model: 'm', ...fields })).toBe(expected)
  })

  it.each([
    ['no limit', {}],
    ["Ollama's infinite generation", { options: { num_predict: -1 } }],
    ["Ollama's fill-the-context", { options: { num_predict: -2 } }],
    ['zero', { max_tokens: 0 }],
    ['a fraction', { max_tokens: 1.5 }],
    ['a string', { max_tokens: '100' }],
    ['options that are not an object', { options: 'fast' }],
  ])('is absent for %s', (_case, fields) => {
    expect(maxOutputTokensOf({ model: 'm', ...fields })).toBeUndefined()
  })

  it('comes with the parsed body', () => {
    const raw = Buffer.from(JSON.stringify({ model: 'llama3.1:8b', stream: true, max_tokens: 16 }))
    expect(parseInferenceBody(raw, false)).toMatchObject({
      model: 'llama3.1:8b',
      isStreaming: true,
      maxOutputTokens: 16,
    })
  })
})
