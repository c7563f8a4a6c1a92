/**
 * Images from the official clients, through real agents and mock runtimes to the default balancer:
 * each client's wire form of an image (`ollama`: base64 strings in `images`; `openai`: a base64 data
 * URL in an `image_url` part) is priced as an image, not as the prompt text its base64 would make.
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
})
