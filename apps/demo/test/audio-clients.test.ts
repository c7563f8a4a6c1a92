/**
 * Audio uploads from the official `openai` client, through a real coordinator and a real agent to a
 * mock vLLM: `audio.transcriptions.create` sends `multipart/form-data` (the file, then `model`), and the
 * transcript comes back through the fleet, whole or streamed as vLLM's `transcription.chunk` events.
 */
import { silentWav } from '@llm-fleet/mock-runtime'
import { toFile } from 'openai'
import { describe, expect, it } from 'vitest'
import { openaiClient } from './helpers/official-clients.js'
import { useFleet } from './helpers/use-fleet.js'

const WHISPER = 'openai/whisper-large-v3'

const fleet = useFleet({
  hosts: [
    {
      name: 'whisper-host',
      profile: 'h100',
      nvidiaSmiCapture: 'gpuid__h100.xml',
      maxConcurrency: 4,
      runtimeKind: 'openai',
    },
  ],
  models: [WHISPER],
})

/** What vLLM streams for a transcription (the SDK types OpenAI's own `transcript.text.*` events). */
interface TranscriptionChunk {
  readonly object: string
  readonly choices: readonly {
    readonly delta: { readonly content?: string }
    readonly finish_reason?: string
  }[]
}

describe('the openai client', () => {
  it('transcribes a WAV through the fleet', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    const { data, response } = await client.audio.transcriptions
      .create({ file: await toFile(silentWav(2), 'clip.wav'), model: WHISPER })
      .withResponse()
    expect(data.text).toMatch(/^([a-z]+ )+$/)
    expect(data.usage).toEqual({ type: 'duration', seconds: 2 })
    expect(response.headers.get('x-fleet-node')).toBe('whisper-host')
  })

  it('streams the transcript as vLLM chunks, ending with the finish reason', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    const stream = await client.audio.transcriptions.create({
      file: await toFile(silentWav(1), 'clip.wav'),
      model: WHISPER,
      stream: true,
    })
    const chunks: TranscriptionChunk[] = []
    for await (const event of stream) chunks.push(event as unknown as TranscriptionChunk)
    expect(chunks.length).toBeGreaterThan(1)
    for (const chunk of chunks) expect(chunk.object).toBe('transcription.chunk')
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop')
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')
    expect(text).toMatch(/^([a-z]+ )+$/)
  })
})
