/** Requests the end-to-end tests send through the coordinator with the official openai client. */
import OpenAI from 'openai'
import { DEMO_MODEL } from '../../src/simulated-host.js'

/** Where a request went: `X-Fleet-Node` and `X-Fleet-Reason`. */
export interface Served {
  readonly node: string
  readonly reason: string
}

export function openaiClient(coordinatorUrl: string): OpenAI {
  // No client retries: a failure must reach the test, not be hidden by a second attempt.
  return new OpenAI({ baseURL: `${coordinatorUrl}/v1`, apiKey: 'unused', maxRetries: 0 })
}

function served(headers: Headers): Served {
  return { node: headers.get('x-fleet-node') ?? '(none)', reason: headers.get('x-fleet-reason') ?? '' }
}

/** A short non-streaming chat request; resolves with the node that served it. */
export async function chatOnce(client: OpenAI): Promise<Served> {
  const { response } = await client.chat.completions
    .create({ model: DEMO_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
    .withResponse()
  return served(response.headers)
}

/** A streaming request held open (its answer is long) until `release()`, which aborts it. */
export interface HeldStream extends Served {
  release(): Promise<void>
}

/**
 * Opens a streaming request whose answer would take minutes at the fleet's speed and keeps reading
 * it in the background, so that it stays in flight at the coordinator until `release()`.
 */
export async function holdStream(client: OpenAI): Promise<HeldStream> {
  const controller = new AbortController()
  const { data: stream, response } = await client.chat.completions
    .create(
      {
        model: DEMO_MODEL,
        messages: [{ role: 'user', content: 'Tell me a long story.' }],
        max_tokens: 1_000_000,
        stream: true,
      },
      { signal: controller.signal },
    )
    .withResponse()
  const reading = (async () => {
    try {
      for await (const _chunk of stream) {
        // Reading keeps the bytes flowing, so the runtime never waits on a full socket buffer.
      }
    } catch (error) {
      // The abort from release() ends the read; anything else is a real failure.
      if (!controller.signal.aborted) throw error
    }
  })()
  return {
    ...served(response.headers),
    release: async () => {
      controller.abort()
      await reading
    },
  }
}
