import { describe, expect, it } from 'vitest'
import { select } from '../core/balancer/select.js'
import { makeNode, makeRequest, makeState } from '../core/balancer/strategy-contract.test-suite.js'
import { findInlineMedia, IMAGE_PROMPT_TOKENS, NO_MEDIA, prefixTokens } from './inline-media.js'
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
    [
      'OpenAI responses, an image a function returned',
      {
        input: [
          {
            type: 'function_call_output',
            call_id: 'c1',
            output: [{ type: 'input_image', image_url: PNG_URL }],
          },
        ],
      },
      PNG_URL.length,
    ],
    [
      'Anthropic messages, a document of content blocks',
      {
        messages: [
          user([
            {
              type: 'document',
              source: {
                type: 'content',
                content: [
                  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE } },
                ],
              },
            },
          ]),
        ],
      },
      IMAGE.length,
    ],
  ])('finds the one inline image or file of %s', (_api, body, chars) => {
    expect(findInlineMedia({ model: 'm', ...body })).toMatchObject({ count: 1, chars })
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
    expect(findInlineMedia(body)).toBe(NO_MEDIA)
  })

  it('reads a data URL with parameters before ;base64, and counts every image of a message', () => {
    const named = `data:image/png;name=a.png;base64,${IMAGE}`
    const body = {
      messages: [{ ...user(TEXT), images: [IMAGE, IMAGE] }, user([{ image_url: { url: named } }])],
    }
    expect(findInlineMedia(body)).toMatchObject({ count: 3, chars: 2 * IMAGE.length + named.length })
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

describe('inline media in a cached prefix', () => {
  it('locates each image in the raw body, two that begin alike included', () => {
    const head = '{"model":"m","messages":[{"role":"user","content":"x","images":["'
    const raw = Buffer.from(
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x', images: [IMAGE, IMAGE] }] }),
    )
    const first = head.length
    const second = first + IMAGE.length + 3 // the `","` between them
    expect(findInlineMedia(JSON.parse(raw.toString()), raw).spans).toEqual([
      first,
      first + IMAGE.length,
      second,
      second + IMAGE.length,
    ])
  })

  it('looks for at most 32 images in the raw body, so a hostile body costs a few scans, not one per image', () => {
    // 40 images of 2 KiB: the first 32 are located, the rest count as text in a cached prefix.
    const images = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(4, '0')}${'A'.repeat(2_044)}`)
    const raw = Buffer.from(JSON.stringify({ model: 'm', images }))
    const media = findInlineMedia(JSON.parse(raw.toString()), raw)
    expect(media.count).toBe(40)
    expect(media.spans).toHaveLength(64)
    const start = raw.indexOf(images[31] as string)
    expect(media.spans.slice(62)).toEqual([start, start + 2_048])
  })

  it('stops at the first image its body does not hold verbatim, so an escaping writer costs one scan, not one per image', () => {
    // PHP's json_encode writes `/` as `\/`: the parsed value is not in the raw bytes. The second
    // image, written plainly, is not looked for: the search does not scan the body again for it.
    const escaped = `${'A'.repeat(100)}/${'B'.repeat(2_900)}`
    const plain = 'C'.repeat(3_000)
    const json = JSON.stringify({ model: 'm', images: [escaped, plain] }).replace('/', '\\/')
    const raw = Buffer.from(json)
    const media = findInlineMedia(JSON.parse(json), raw)
    expect(media.count).toBe(2)
    expect(raw.indexOf(plain)).toBeGreaterThan(0)
    expect(media.spans).toEqual([])
  })

  it('counts the tokens up to each prefix block: text at bytes / 4, an image spread over its bytes', () => {
    // 1 000 bytes of text, then a 40 000-byte image, then text; blocks of 256 bytes.
    const byBlock = prefixTokens([1_000, 41_000], 162, 256, 4)
    expect(byBlock[3]).toBeCloseTo(1_000 / 4 + (576 * 24) / 40_000, 9) // up to byte 1 024
    expect(byBlock[161]).toBeCloseTo((41_472 - 40_000) / 4 + 576, 9) // up to byte 41 472
  })

  it('sweeps several images: whole ones before a block end, at most one cut by it', () => {
    // Images at bytes 0-1 000 and 2 000-3 000, blocks of 1 024 bytes.
    const byBlock = prefixTokens([0, 1_000, 2_000, 3_000], 3, 1_024, 4)
    expect(byBlock[0]).toBeCloseTo(24 / 4 + 576, 9)
    expect(byBlock[1]).toBeCloseTo(1_000 / 4 + 576 + (576 * 48) / 1_000, 9)
    expect(byBlock[2]).toBeCloseTo(1_072 / 4 + 2 * 576, 9)
  })

  it('credits a follow-up turn with the image and text its node has cached, not its whole prompt', () => {
    // Turn 1 sent a picture; turn 2 resends it and adds 40 000 bytes of new text (10 000 tokens).
    const opening = `{"model":"m","messages":[{"role":"user","content":"look","images":["${IMAGE}"]},{"role":"user","content":"`
    const turn = (text: string) => Buffer.from(`${opening}${text}"}]}`)
    const first = turn('a'.repeat(100))
    const second = turn(`${'a'.repeat(100)}${'b'.repeat(40_000)}`)
    const probeFor = (raw: Buffer) => probeOf(raw, findInlineMedia(JSON.parse(raw.toString()), raw))
    const node = makeNode('gpu', { computeScore: 434, runtimeKind: 'openai' })
    const state = makeState('fastest-finish')
    state.prefixIndex.record(probeFor(first).prefixHashes, node.slot, 0)
    const probe = probeFor(second)
    const selection = select([node], makeRequest({ probe, now: 1 }), state)
    if (selection.kind !== 'selected' || selection.reason.kind !== 'fastest-finish')
      throw new Error('no pick')
    // The blocks turn 1 filled: its image (576 tokens) and the text around it at bytes / 4.
    const blocks = Math.floor(first.length / 256)
    expect(selection.reason.cachedTokens).toBeCloseTo((blocks * 256 - IMAGE.length) / 4 + 576, 6)
    expect(selection.reason.cachedTokens).toBeLessThan(1_000)
    expect(probe.promptTokens).toBeGreaterThan(10_500)
  })
})
