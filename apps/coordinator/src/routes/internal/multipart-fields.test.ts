import { silentWav } from '@llm-fleet/mock-runtime'
import { describe, expect, it } from 'vitest'
import { formContentType, multipartBody } from '../../../test/helpers/multipart-body.js'
import { MAX_FORM_PARTS, readMultipartFields } from './multipart-fields.js'

const BOUNDARY = 'openai-x7k2'
const NAMES = new Set(['model', 'stream'])
const AUDIO = { name: 'file', value: silentWav(0.5), filename: 'clip.wav' }

describe('readMultipartFields', () => {
  it('finds the fields asked for wherever they are, after the file as the SDKs send them', async () => {
    const body = multipartBody(BOUNDARY, [
      AUDIO,
      { name: 'model', value: 'whisper-large-v3' },
      { name: 'language', value: 'en' },
      { name: 'stream', value: 'true' },
    ])
    const fields = await readMultipartFields(body, formContentType(BOUNDARY), NAMES)
    expect(Object.fromEntries(fields)).toEqual({ model: 'whisper-large-v3', stream: 'true' })
  })

  it('keeps the last of a repeated field, as Starlette does for vLLM, and skips a file named like a field', async () => {
    const body = multipartBody(BOUNDARY, [
      { name: 'model', value: 'first' },
      { name: 'model', value: 'second' },
      { name: 'stream', value: Buffer.from('x'), filename: 'stream.txt' },
    ])
    const fields = await readMultipartFields(body, `multipart/form-data; boundary="${BOUNDARY}"`, NAMES)
    expect(Object.fromEntries(fields)).toEqual({ model: 'second' })
  })

  it('reads a field sent with a content type but no filename, as Starlette does for vLLM', async () => {
    // Starlette makes a part a file only when it has a filename; busboy's default would also take one
    // with a non-text type, and the upload would lose its model.
    const model = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\nContent-Type: application/octet-stream\r\n\r\nwhisper\r\n`,
    )
    const body = Buffer.concat([model, multipartBody(BOUNDARY, [AUDIO])])
    const fields = await readMultipartFields(body, formContentType(BOUNDARY), NAMES)
    expect(Object.fromEntries(fields)).toEqual({ model: 'whisper' })
  })

  it.each([
    ['fields', (i: number) => ({ name: `f${i}`, value: 'x' })],
    ['files', (i: number) => ({ name: `f${i}`, value: 'x', filename: `${i}.wav` })],
  ])(`refuses a form of more than ${MAX_FORM_PARTS} %s, as Starlette does`, async (kind, part) => {
    // Tiny parts are what make a parser slow: a body at the size limit could hold a million of them.
    const tiny = Array.from({ length: 5 * MAX_FORM_PARTS }, (_, i) => part(i))
    const body = multipartBody(BOUNDARY, [...tiny, { name: 'model', value: 'whisper' }])
    const failure = readMultipartFields(body, formContentType(BOUNDARY), NAMES)
    await expect(failure).rejects.toMatchObject({ statusCode: 400, code: 'FLEET_PROXY_BAD_REQUEST' })
    await expect(failure).rejects.toThrow(`it has more than ${MAX_FORM_PARTS} ${kind}`)
  })

  it(`takes ${MAX_FORM_PARTS} fields and ${MAX_FORM_PARTS} files together, as Starlette counts them apart`, async () => {
    const fields = Array.from({ length: MAX_FORM_PARTS - 1 }, (_, i) => ({ name: `f${i}`, value: 'x' }))
    const files = Array.from({ length: MAX_FORM_PARTS }, (_, i) => ({
      name: 'file',
      value: 'x',
      filename: `${i}.wav`,
    }))
    const body = multipartBody(BOUNDARY, [...files, ...fields, { name: 'model', value: 'whisper' }])
    const read = await readMultipartFields(body, formContentType(BOUNDARY), NAMES)
    expect(Object.fromEntries(read)).toEqual({ model: 'whisper' })
  })

  it.each([
    ['no boundary', 'multipart/form-data', multipartBody(BOUNDARY, [AUDIO]), 'Boundary not found'],
    ['another boundary', formContentType('other'), multipartBody(BOUNDARY, [AUDIO]), 'Unexpected end'],
    [
      'a file cut short',
      formContentType(BOUNDARY),
      multipartBody(BOUNDARY, [AUDIO]).subarray(0, 4000),
      'Unexpected end',
    ],
    [
      'no closing delimiter',
      formContentType(BOUNDARY),
      multipartBody(BOUNDARY, [AUDIO]).subarray(0, -20),
      'Unexpected end',
    ],
    ['a JSON body', formContentType(BOUNDARY), Buffer.from('{"model":"m"}'), 'Unexpected end'],
  ])('refuses a body with %s as a 400 that says so', async (_case, contentType, body, problem) => {
    const failure = readMultipartFields(body, contentType, NAMES)
    await expect(failure).rejects.toMatchObject({ statusCode: 400, code: 'FLEET_PROXY_BAD_REQUEST' })
    await expect(failure).rejects.toThrow(`The request body is not valid multipart/form-data: `)
    await expect(failure).rejects.toThrow(problem)
  })
})
