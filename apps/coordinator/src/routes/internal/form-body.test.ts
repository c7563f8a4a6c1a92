import { silentWav } from '@llm-fleet/mock-runtime'
import { describe, expect, it } from 'vitest'
import { formContentType, multipartBody } from '../../../test/helpers/multipart-body.js'
import { isMultipartForm, parseFormInferenceBody, UPLOAD_PROMPT_TOKENS } from './form-body.js'

const BOUNDARY = 'form-body-test'
const CONTENT_TYPE = formContentType(BOUNDARY)
const RULES = { apiKind: 'openai', isStreamingByDefault: false } as const
const AUDIO = { name: 'file', value: silentWav(1), filename: 'clip.wav' }

const upload = (fields: Record<string, string>) =>
  multipartBody(BOUNDARY, [AUDIO, ...Object.entries(fields).map(([name, value]) => ({ name, value }))])

describe('isMultipartForm', () => {
  it.each([
    ['multipart/form-data; boundary=x', true],
    ['Multipart/Form-Data;boundary=x', true],
    ['multipart/form-data', true],
    ['application/json', false],
    ['multipart/mixed; boundary=x', false],
    ['multipart/form-datax', false],
    [undefined, false],
  ])('%s: %s', (contentType, expected) => {
    expect(isMultipartForm(contentType)).toBe(expected)
  })
})

describe('parseFormInferenceBody', () => {
  it('keeps the bytes and their content type, and counts an upload as one audio prompt without prefix blocks', async () => {
    const raw = upload({ model: 'whisper-large-v3', max_completion_tokens: '64' })
    const body = await parseFormInferenceBody(raw, CONTENT_TYPE, RULES)
    expect(body.raw).toBe(raw)
    expect(body).toMatchObject({
      model: 'whisper-large-v3',
      isStreaming: false,
      contentType: CONTENT_TYPE,
      maxOutputTokens: 64,
      media: { count: 0, chars: 0 },
    })
    expect(body.probe?.promptTokens).toBe(UPLOAD_PROMPT_TOKENS)
    expect(body.probe?.prefixHashes).toHaveLength(0)
    expect(body.probe?.maxOutputTokens).toBe(64)
  })

  it.each([
    ['true', true],
    ['True', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['off', false],
    ['maybe', false],
  ])('reads stream=%s as pydantic reads a form bool: %s', async (stream, expected) => {
    const body = await parseFormInferenceBody(upload({ model: 'm', stream }), CONTENT_TYPE, RULES)
    expect(body.isStreaming).toBe(expected)
  })

  it.each([['0'], ['-5'], ['1.5'], ['many']])(
    'reads no token limit from max_completion_tokens=%s',
    async (limit) => {
      const body = await parseFormInferenceBody(
        upload({ model: 'm', max_completion_tokens: limit }),
        CONTENT_TYPE,
        RULES,
      )
      expect(body.maxOutputTokens).toBeUndefined()
    },
  )

  it.each([
    ['no model field', upload({ language: 'en' }), 'model: is required'],
    ['an empty model', upload({ model: '' }), 'model: is required'],
    ['a model name too long', upload({ model: 'm'.repeat(300) }), 'model: must be at most 256 characters'],
    ['an empty body', Buffer.alloc(0), 'empty'],
  ])('refuses %s with a 400 that names it', async (_case, raw, message) => {
    const failure = parseFormInferenceBody(raw, CONTENT_TYPE, RULES)
    await expect(failure).rejects.toMatchObject({ statusCode: 400, code: 'FLEET_PROXY_BAD_REQUEST' })
    await expect(failure).rejects.toThrow(message)
  })
})
