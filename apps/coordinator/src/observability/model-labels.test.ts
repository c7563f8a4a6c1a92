import { describe, expect, it } from 'vitest'
import { ModelLabels, OTHER_MODEL } from './model-labels.js'

describe('ModelLabels', () => {
  it('labels a model by name only once a node serving it answered, and caps the names', () => {
    const labels = new ModelLabels(2)
    const served = new Set(['llama3.1:8b', 'qwen2.5:32b', 'mistral:7b'])
    expect(labels.labelOf('anything a client sends', served)).toBe(OTHER_MODEL)
    expect(labels.labelOf('llama3.1:8b', null)).toBe(OTHER_MODEL)
    expect(labels.labelOf('llama3.1:8b', served)).toBe('llama3.1:8b')
    // Admitted: known even on a request no node took.
    expect(labels.labelOf('llama3.1:8b', null)).toBe('llama3.1:8b')
    expect(labels.labelOf('qwen2.5:32b', served)).toBe('qwen2.5:32b')
    expect(labels.labelOf('mistral:7b', served)).toBe(OTHER_MODEL)
  })
})
