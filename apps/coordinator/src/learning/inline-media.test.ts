import { describe, expect, it } from 'vitest'
import { findInlineMedia, IMAGE_PROMPT_TOKENS } from './inline-media.js'
import { probeOf } from './traffic-learner.js'

/** 30 000 bytes of "image" as base64: 40 000 characters, every byte value in turn. */
const IMAGE = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 256)).toString('base64')
const PNG_URL = `data:image/png;base64,${IMAGE}`
const PDF_URL = `data:application/pdf;base64,${IMAGE}`
const TEXT = 'Describe this picture in one sentence, please. '.repeat(40)
const user = (content: unknown) => ({ role: 'user', content })

describe('inline media in request bodies', () => {
  it.each([
    ['Ollama /api/chat', { messages: [{ ...user(TEXT), images: [IMAGE] }] }, IMAGE.length],
    ['Ollama /api/generate', { prompt: TEXT, images: [IMAGE] }, IMAGE.length],
    [
      'OpenAI chat completions, an image',
      {
        messages: [
          user([
            { type: 'text', text: TEXT },
            { type: 'image_url', image_url: { url: PNG_URL } },
          ]),
        ],
      },
      PNG_URL.length,
    ],
    [
      'OpenAI chat completions, a file',
      { messages: [user([{ type: 'file', file: { filename: 'a.pdf', file_data: PDF_URL } }])] },
      PDF_URL.length,
    ],
    [
      'OpenAI responses, an image',
      {
        input: [
          user([
            { type: 'input_text', text: TEXT },
            { type: 'input_image', image_url: PNG_URL },
          ]),
        ],
      },
      PNG_URL.length,
    ],
    [
      'OpenAI responses, a file',
      { input: [user([{ type: 'input_file', filename: 'a.pdf', file_data: PDF_URL }])] },
      PDF_URL.length,
    ],
    [
      'Anthropic messages, an image',
      {
        messages: [
          user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE } }]),
        ],
      },
      IMAGE.length,
    ],
    [
      'Anthropic messages, an image a tool returned',
      {
        messages: [
          user([
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE } }],
            },
          ]),
        ],
      },
      IMAGE.length,
    ],
  ])('finds the one inline image or file of %s', (_api, body, chars) => {
    expect(findInlineMedia({ model: 'm', ...body })).toEqual({ count: 1, chars })
  })

  it('takes no text for an image: prompts and tool results that hold a data URL, and image fields elsewhere', () => {
    const body = {
      model: 'm',
      prompt: PNG_URL,
      system: IMAGE,
      messages: [
        user(PNG_URL),
        user([{ type: 'text', text: PNG_URL }]),
        user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]),
        user([{ type: 'tool_use', id: 't1', name: 'resize', input: { images: [IMAGE], data: IMAGE } }]),
        user([{ type: 'tool_result', tool_use_id: 't1', content: PNG_URL }]),
        user([{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }]),
      ],
    }
    expect(findInlineMedia(body)).toEqual({ count: 0, chars: 0 })
  })

  it('reads a data URL with parameters before ;base64, and counts every image of a message', () => {
    const named = `data:image/png;name=a.png;base64,${IMAGE}`
    const body = {
      messages: [{ ...user(TEXT), images: [IMAGE, IMAGE] }, user([{ image_url: { url: named } }])],
    }
    expect(findInlineMedia(body)).toEqual({ count: 3, chars: 2 * IMAGE.length + named.length })
  })

  it('prices an image at 576 prompt tokens, not its bytes / 4', () => {
    const body = Buffer.from(JSON.stringify({ model: 'llava', prompt: TEXT, images: [IMAGE] }))
    const probe = probeOf(body, findInlineMedia(JSON.parse(body.toString())))
    // 41 923 bytes: 40 000 of base64, 1 880 of text and 43 of JSON (480.75 tokens), and one image.
    expect(body.length).toBe(41_923)
    expect(probe.promptTokens).toBe(480.75 + IMAGE_PROMPT_TOKENS)
    expect(probeOf(body).promptTokens).toBe(41_923 / 4)
  })
})
