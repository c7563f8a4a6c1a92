import { describe, expect, it } from 'vitest'
import { modelKeyFor, ollamaModelKey } from './model-name.js'

describe('ollamaModelKey (as ollama types/model/name.go ParseName + EqualFold)', () => {
  it('gives every spelling Ollama treats as one model the same key', () => {
    const same = [
      'llama3.1',
      'llama3.1:latest',
      'Llama3.1:LATEST',
      'library/llama3.1',
      'registry.ollama.ai/library/llama3.1:latest',
      'https://registry.ollama.ai/library/llama3.1',
    ]
    for (const name of same) expect(ollamaModelKey(name)).toBe('registry.ollama.ai/library/llama3.1:latest')
    expect(ollamaModelKey('Llama3.1:8B')).toBe(ollamaModelKey('llama3.1:8b'))
  })

  it('keeps apart what Ollama keeps apart', () => {
    const distinct = ['llama3.1:8b', 'llama3.1:70b', 'llama3.1', 'me/llama3.1:8b', 'hf.co/me/llama3.1:8b']
    expect(new Set(distinct.map(ollamaModelKey)).size).toBe(distinct.length)
    // A colon before the last slash is part of the host (a port), not a tag.
    expect(ollamaModelKey('localhost:5000/me/m')).toBe('localhost:5000/me/m:latest')
    // An empty tag is a missing part: it matches no served model, never `:latest`.
    expect(ollamaModelKey('llama3.1:')).not.toBe(ollamaModelKey('llama3.1'))
  })

  it('matches exactly for OpenAI-compatible runtimes', () => {
    expect(modelKeyFor('openai', 'Meta-Llama/Llama-3.1-8B')).toBe('Meta-Llama/Llama-3.1-8B')
    expect(modelKeyFor('ollama', 'Qwen2.5:7B')).toBe('registry.ollama.ai/library/qwen2.5:7b')
  })
})
