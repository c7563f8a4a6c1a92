import { describe, expect, it } from 'vitest'
import { FleetKnowledge } from './fleet-knowledge.js'

const NOW = 1_800_000_000_000

describe('FleetKnowledge model names', () => {
  it('learns every spelling Ollama accepts for one model in one table, so clients cannot add tables', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteRouted(0, 'Llama3.1', NOW)
    knowledge.noteRouted(1, 'llama3.1:latest', NOW)
    knowledge.noteRouted(2, 'LLAMA3.1:Latest', NOW)
    expect([...knowledge.models()]).toHaveLength(1)
    const table = knowledge.peek('llama3.1')
    expect(table).toBeDefined()
    expect(knowledge.peek('LLaMA3.1:LATEST')).toBe(table)
    expect(Array.from(table?.routedAtMs.slice(0, 3) ?? [])).toEqual([NOW, NOW, NOW])
  })

  it('matches a push listing `llama3.1:latest` with traffic routed as `llama3.1`', () => {
    const knowledge = new FleetKnowledge({ halfLifeMs: 30_000 })
    knowledge.noteRouted(0, 'llama3.1', NOW)
    // The push (taken after the routing) lists the model under Ollama's own name: still resident.
    knowledge.noteLoaded(0, new Set(['llama3.1:latest']), NOW + 1_000)
    const table = knowledge.peek('llama3.1')
    expect(table?.reportedLoaded[0]).toBe(1)
    expect(table?.routedAtMs[0]).toBe(NOW)
    expect([...knowledge.models()]).toHaveLength(1)
  })
})
