import { describe, expect, it } from 'vitest'
import { parseRuntimeUsage } from './runtime-usage.js'

describe('parseRuntimeUsage', () => {
  it("reads Ollama's final chunk (ollama/ollama docs/api.md, /api/chat streaming example)", () => {
    const tail =
      '{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"."},"done":false}\n' +
      '{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,' +
      '"total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,' +
      '"eval_count":282,"eval_duration":4535599000}\n'
    expect(parseRuntimeUsage(tail)).toEqual({
      kind: 'ollama',
      totalNs: 4_883_583_458,
      loadNs: 1_334_875,
      promptEvalCount: 26,
      promptEvalNs: 342_546_000,
      evalCount: 282,
      evalNs: 4_535_599_000,
    })
  })

  it('reads an OpenAI stream usage chunk after chunks that carry "usage":null', () => {
    const tail =
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"!"}}],"usage":null}\n\n' +
      'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1200,"total_tokens":1290,' +
      '"completion_tokens":90,"prompt_tokens_details":{"cached_tokens":1024}}}\n\ndata: [DONE]\n\n'
    expect(parseRuntimeUsage(tail)).toEqual({
      kind: 'openai',
      promptTokens: 1_200,
      completionTokens: 90,
      cachedTokens: 1_024,
    })
  })

  it('tells an answer that reports no cached tokens (vLLM without prompt-tokens details) from one that reports 0', () => {
    const usage = (details: string) =>
      `{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2${details}}}\n`
    expect(parseRuntimeUsage(usage(''))).toMatchObject({ cachedTokens: null })
    expect(parseRuntimeUsage(usage(',"prompt_tokens_details":{"cached_tokens":0}'))).toMatchObject({
      cachedTokens: 0,
    })
  })

  it('returns null for a body that reports nothing (a stream without include_usage)', () => {
    expect(parseRuntimeUsage('data: {"choices":[],"usage":null}\n\ndata: [DONE]\n\n')).toBeNull()
    expect(parseRuntimeUsage('{"model":"m","done":true}\n')).toBeNull()
  })
})
