/**
 * Images from the official clients, through real agents and mock runtimes to the default balancer:
 * each client's wire form of an image (`ollama`: base64 strings in `images`; `openai`: a base64 data
 * URL in an `image_url` part) is priced as an image, not as the prompt text its base64 would make; and
 * a chat with several photos, as big as phones take them, gets its answer.
 */
import { describe, expect, it } from 'vitest'
import { DEMO_MODEL } from '../src/simulated-host.js'
import { ollamaClient, openaiClient } from './helpers/official-clients.js'
import { useFleet } from './helpers/use-fleet.js'

const fleet = useFleet({ loadBalancerMode: 'fastest-finish' })

/**
 * 300 kB of picture: 400 000 characters of base64. Read as text at 4 bytes a token it would be a
 * 100 000-token prompt, seconds of prefill on any demo host; as one image it is 576 tokens.
 */
const PICTURE = new Uint8Array(300_000).fill(7)

/** The seconds in an `X-Fleet-Reason` such as `warm, 0/4 in flight: est 0.3 s`. */
function estimateIn(reason: string | null): number {
  return Number(/est ([\d.]+) s/.exec(reason ?? '')?.[1])
}

describe('an image sent by', () => {
  it('the ollama client counts as an image in the estimate', async () => {
    const { client, reasons } = ollamaClient(fleet().coordinatorUrl)
    const response = await client.chat({
      model: DEMO_MODEL,
      messages: [{ role: 'user', content: 'What is in this picture?', images: [PICTURE] }],
      stream: false,
      options: { num_predict: 8 },
    })
    expect(response.done).toBe(true)
    expect(estimateIn(reasons[0] ?? null)).toBeGreaterThanOrEqual(0)
    expect(estimateIn(reasons[0] ?? null)).toBeLessThan(1)
  })

  it('the openai client counts as an image in the estimate', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    const url = `data:image/png;base64,${Buffer.from(PICTURE).toString('base64')}`
    const { data, response } = await client.chat.completions
      .create({
        model: DEMO_MODEL,
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this picture?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      })
      .withResponse()
    expect(data.object).toBe('chat.completion')
    const estimate = estimateIn(response.headers.get('x-fleet-reason'))
    expect(estimate).toBeGreaterThanOrEqual(0)
    expect(estimate).toBeLessThan(1)
  })

  it('the openai client with several photos, 12 MiB of body in all, gets the answer', async () => {
    const client = openaiClient(fleet().coordinatorUrl)
    // Three 3 MiB photos, as phones take them: 4 MiB of base64 each.
    const photo = `data:image/jpeg;base64,${Buffer.alloc(3 * 1024 * 1024, 7).toString('base64')}`
    const photos = [photo, photo, photo].map((url) => ({ type: 'image_url' as const, image_url: { url } }))
    expect(photos.length * photo.length).toBeGreaterThan(8 * 1024 * 1024)
    const completion = await client.chat.completions.create({
      model: DEMO_MODEL,
      max_tokens: 8,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Which of these is sharpest?' }, ...photos] },
      ],
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0]?.message.content).toMatch(/\S/)
  })
})
