import { describe, expect, it } from 'vitest'
import { findInlineMedia, IMAGE_PROMPT_TOKENS } from './inline-media.js'
import { probeOf } from './traffic-learner.js'

/** 30 000 bytes of "image" as base64: 40 000 characters, every byte value in turn. */
const IMAGE = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 256)).toString('base64')
const PNG_URL = `data:image/png;base64,${IMAGE}`
const TEXT = 'Describe this picture in one sentence, please. '.repeat(40)

describe('inline media in request bodies', () => {
  it.each([
    ['Ollama /api/chat', { model: 'llava', messages: [{ role: 'user', content: TEXT, images: [IMAGE] }] }],
    ['Ollama /api/generate', { model: 'llava', prompt: TEXT, images: [IMAGE] }],
    [
      'OpenAI chat completions',
      {
        model: 'llava',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: TEXT },
              { type: 'image_url', image_url: { url: PNG_URL, detail: 'high' } },
            ],
          },
        ],
      },
    ],
    [
      'OpenAI responses',
      {
        model: 'llava',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: TEXT },
              { type: 'input_image', image_url: PNG_URL },
            ],
          },
        ],
      },
    ],
    [
      'Anthropic messages',
      {
        model: 'llava',
        max_tokens: 64,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE } },
              { type: 'text', text: TEXT },
            ],
          },
        ],
      },
    ],
  ])('finds the one image of %s, and no text', (_api, body) => {
    const media = findInlineMedia(body)
    expect(media.count).toBe(1)
    expect([40_000, 40_022]).toContain(media.chars)
  })

  it('leaves text alone, however long and whatever its letters, and URLs that are not data URLs', () => {
    const body = {
      model: 'm',
      prompt: 'x'.repeat(4_000),
      system: IMAGE,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
      source: { type: 'url', data: IMAGE },
    }
    expect(findInlineMedia(body)).toEqual({ count: 0, chars: 0 })
  })

  it('counts several images at any depth, line-wrapped base64 included', () => {
    const wrapped = (IMAGE.match(/.{1,76}/g) ?? []).join('\n')
    let deep: unknown = { images: [wrapped, IMAGE] }
    for (let i = 0; i < 10_000; i++) deep = [deep]
    expect(findInlineMedia(deep)).toEqual({ count: 2, chars: wrapped.length + IMAGE.length })
  })

  it('prices an image at a fixed count of prompt tokens, not its bytes / 4', () => {
    const body = Buffer.from(JSON.stringify({ model: 'llava', prompt: TEXT, images: [IMAGE] }))
    const probe = probeOf(body, findInlineMedia(JSON.parse(body.toString())))
    // The text and JSON around it: (body − 40 000 base64 characters) / 4, plus one image.
    expect(probe.promptTokens).toBe((body.length - 40_000) / 4 + IMAGE_PROMPT_TOKENS)
    expect(probe.promptTokens).toBeLessThan(1_200)
    expect(probeOf(body).promptTokens).toBeGreaterThan(10_000)
  })
})
