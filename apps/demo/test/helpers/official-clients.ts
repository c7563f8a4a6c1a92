/** The official `openai` and `ollama` npm clients, pointed at a coordinator as a user would. */
import { Ollama } from 'ollama'
import OpenAI from 'openai'

export function openaiClient(coordinatorUrl: string): OpenAI {
  return new OpenAI({ baseURL: `${coordinatorUrl}/v1`, apiKey: 'unused', maxRetries: 0 })
}

/** An Ollama client whose responses' `X-Fleet-Node` and `X-Fleet-Reason` headers are collected. */
export function ollamaClient(coordinatorUrl: string): {
  client: Ollama
  servedBy: string[]
  reasons: string[]
} {
  const servedBy: string[] = []
  const reasons: string[] = []
  const client = new Ollama({
    host: coordinatorUrl,
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      servedBy.push(response.headers.get('x-fleet-node') ?? '(none)')
      reasons.push(response.headers.get('x-fleet-reason') ?? '(none)')
      return response
    },
  })
  return { client, servedBy, reasons }
}
