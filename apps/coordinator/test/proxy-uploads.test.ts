/**
 * Uploads through the proxy: OpenAI's audio transcriptions and translations arrive as
 * `multipart/form-data`, `model` after the file as the SDKs send `{ file, model }`. The coordinator reads the model
 * and the stream flag from the form, routes to a node serving that model and forwards the bytes as they
 * came with the client's own content type; a form without a model, or not a form at all, is a 400 in
 * OpenAI's shape, never a 500.
 */
import { type MockRuntime, silentWav, startMockRuntime } from '@llm-fleet/mock-runtime'
import { type Dispatcher, request } from 'undici'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { type FormPart, formContentType, multipartBody } from './helpers/multipart-body.js'
import { postJson, proxiedLines, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, startCoordinator, waitFor } from './helpers/start-coordinator.js'

const WHISPER = 'openai/whisper-large-v3'
const BOUNDARY = 'openai-8f3k2m'
const TRANSCRIPTIONS = '/v1/audio/transcriptions'

/** The SDKs' order for `{ file, model, … }`: the file, then the fields. */
function upload(fields: Record<string, string>, audio: Buffer = silentWav(1)): Buffer {
  const parts: FormPart[] = [{ name: 'file', value: audio, filename: 'clip.wav' }]
  for (const [name, value] of Object.entries(fields)) parts.push({ name, value })
  return multipartBody(BOUNDARY, parts)
}

function postForm(
  client: Dispatcher,
  url: string,
  body: Buffer,
  contentType = formContentType(BOUNDARY),
): Promise<Dispatcher.ResponseData> {
  return request(url, { method: 'POST', dispatcher: client, headers: { 'content-type': contentType }, body })
}

/** A mock vLLM on port 0 serving `models`, closed with the test. */
async function startVllm(models: readonly string[]): Promise<MockRuntime> {
  const runtime = await startMockRuntime({
    kind: 'openai',
    profile: 'a100',
    models,
    port: 0,
    speedScale: 100,
  })
  onTestFinished(() => runtime.close())
  return runtime
}

describe('audio uploads', () => {
  it('forwards the identical bytes with the client content type, boundary and all, under their own route label', async () => {
    const runtime = await startFakeRuntime({ name: 'gpu-a' })
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url, { kind: 'openai', models: [WHISPER] })
    const body = upload({ model: WHISPER, language: 'en', response_format: 'json' })
    // A parameter after the boundary, as some clients write it: forwarded exactly as it came.
    const contentType = `${formContentType(BOUNDARY)}; charset=utf-8`

    const response = await postForm(createClient(), `${coordinator.url}${TRANSCRIPTIONS}`, body, contentType)

    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect(runtime.requests).toHaveLength(1)
    const received = runtime.requests[0]
    expect(received?.url).toBe(TRANSCRIPTIONS)
    expect(received?.headers['content-type']).toBe(contentType)
    expect(received?.bytes.equals(body)).toBe(true)
    await waitFor(() => proxiedLines(coordinator).length === 1)
    expect(proxiedLines(coordinator)[0]).toMatchObject({ route: TRANSCRIPTIONS, model: WHISPER, status: 200 })
  })

  it('fails over with the same bytes and content type when the first node refuses the upload', async () => {
    const failing = await startFakeRuntime({ name: 'failing', mode: { kind: 'status', statusCode: 503 } })
    const good = await startFakeRuntime({ name: 'good' })
    const coordinator = await startProxyHarness()
    // The faster node is tried first.
    coordinator.addNode(failing.url, { kind: 'openai', models: [WHISPER], computeScore: 200 })
    coordinator.addNode(good.url, { kind: 'openai', models: [WHISPER], computeScore: 100 })
    const body = upload({ model: WHISPER })

    const response = await postForm(createClient(), `${coordinator.url}${TRANSCRIPTIONS}`, body)

    expect(response.statusCode).toBe(200)
    await response.body.dump()
    for (const runtime of [failing, good]) {
      expect(runtime.requests).toHaveLength(1)
      expect(runtime.requests[0]?.headers['content-type']).toBe(formContentType(BOUNDARY))
      expect(runtime.requests[0]?.bytes.equals(body)).toBe(true)
    }
  })

  it('reads the stream flag from the form: a streamed answer is not buffered by a proxy in front', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url, { kind: 'openai', models: [WHISPER] })
    const client = createClient()
    const url = `${coordinator.url}/v1/audio/translations`

    // The fake answers an upload in one piece: only the form's flag can set the header.
    const streamed = await postForm(client, url, upload({ stream: 'true', model: WHISPER }))
    const whole = await postForm(client, url, upload({ model: WHISPER, stream: 'false' }))

    await streamed.body.dump()
    await whole.body.dump()
    expect(streamed.headers['x-accel-buffering']).toBe('no')
    expect(whole.headers['x-accel-buffering']).toBeUndefined()
    await waitFor(() => proxiedLines(coordinator).length === 2)
    expect(proxiedLines(coordinator).map((line) => line.route)).toEqual([
      '/v1/audio/translations',
      '/v1/audio/translations',
    ])
  })

  it('still forwards a JSON body naming a model, as JSON', async () => {
    const runtime = await startFakeRuntime()
    const coordinator = await startProxyHarness()
    coordinator.addNode(runtime.url, { kind: 'openai', models: [WHISPER] })
    const body = `{"model": "${WHISPER}", "file": "clip.wav"}`

    const response = await postJson(createClient(), `${coordinator.url}${TRANSCRIPTIONS}`, body)

    expect(response.statusCode).toBe(200)
    await response.body.dump()
    expect(runtime.requests[0]?.body).toBe(body)
    expect(runtime.requests[0]?.headers['content-type']).toBe('application/json')
  })

  it.each([
    ['a form without a model', upload({ language: 'en' }), formContentType(BOUNDARY), 'model: is required'],
    ['a form with an empty model', upload({ model: '' }), formContentType(BOUNDARY), 'model: is required'],
    [
      'a form cut short',
      upload({ model: WHISPER }).subarray(0, 5000),
      formContentType(BOUNDARY),
      'not valid multipart/form-data: Unexpected end of multipart data',
    ],
    [
      'a form without a boundary',
      upload({ model: WHISPER }),
      'multipart/form-data',
      'not valid multipart/form-data: Multipart: Boundary not found',
    ],
    ['an empty form', Buffer.alloc(0), formContentType(BOUNDARY), 'The request body is empty'],
  ])(
    'answers %s with a 400 in OpenAI shape that names the problem',
    async (_case, body, contentType, message) => {
      const runtime = await startFakeRuntime()
      const coordinator = await startProxyHarness()
      coordinator.addNode(runtime.url, { kind: 'openai', models: [WHISPER] })

      const response = await postForm(
        createClient(),
        `${coordinator.url}${TRANSCRIPTIONS}`,
        body,
        contentType,
      )

      expect(response.statusCode).toBe(400)
      const answer = (await response.body.json()) as {
        error: { message: string; type: string; code: string }
      }
      expect(answer.error).toMatchObject({ type: 'invalid_request_error', code: 'FLEET_PROXY_BAD_REQUEST' })
      expect(answer.error.message).toContain(message)
      expect(runtime.requests).toHaveLength(0)
    },
  )

  it('holds uploads to INFERENCE_BODY_LIMIT_BYTES', async () => {
    const coordinator = await startCoordinator({ env: { INFERENCE_BODY_LIMIT_BYTES: '4096' } })
    const response = await postForm(
      createClient(),
      `${coordinator.url}${TRANSCRIPTIONS}`,
      upload({ model: WHISPER }),
    )
    expect(response.statusCode).toBe(413)
    expect(((await response.body.json()) as { error: { message: string } }).error.message).toContain(
      'INFERENCE_BODY_LIMIT_BYTES',
    )
  })
})

describe('audio uploads to vLLM nodes', () => {
  it('go only to the nodes serving the model, and come back as vLLM answers them', async () => {
    const whisper = await startVllm([WHISPER])
    const llama = await startVllm(['meta-llama/Llama-3.1-8B-Instruct'])
    const coordinator = await startProxyHarness({ loadBalancerMode: 'round-robin' })
    coordinator.addNode(whisper.url, { kind: 'openai', models: [WHISPER], hostname: 'whisper-node' })
    coordinator.addNode(llama.url, { kind: 'openai', models: ['meta-llama/Llama-3.1-8B-Instruct'] })
    const client = createClient()

    for (let i = 0; i < 4; i++) {
      const response = await postForm(
        client,
        `${coordinator.url}${TRANSCRIPTIONS}`,
        upload({ model: WHISPER }),
      )
      expect(response.statusCode).toBe(200)
      expect(response.headers['x-fleet-node']).toBe('whisper-node')
      expect(await response.body.json()).toEqual({
        text: expect.stringMatching(/^([a-z]+ )+$/),
        usage: { type: 'duration', seconds: 1 },
      })
    }
    expect(whisper.stats().completed).toBe(4)
    expect(llama.stats().requests).toBe(0)

    const unserved = await postForm(
      client,
      `${coordinator.url}${TRANSCRIPTIONS}`,
      upload({ model: 'whisper-tiny' }),
    )
    expect(unserved.statusCode).toBe(404)
    expect(await unserved.body.json()).toMatchObject({ error: { code: 'FLEET_PROXY_MODEL_NOT_SERVED' } })
  })

  it('stream transcription.chunk events through the fleet', async () => {
    const whisper = await startVllm([WHISPER])
    const coordinator = await startProxyHarness()
    coordinator.addNode(whisper.url, { kind: 'openai', models: [WHISPER] })

    const response = await postForm(
      createClient(),
      `${coordinator.url}${TRANSCRIPTIONS}`,
      upload({ model: WHISPER, stream: 'true', stream_include_usage: 'true', max_completion_tokens: '3' }),
    )

    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/)
    const events = (await response.body.text()).split('\n\n').filter((event) => event !== '')
    expect(events.at(-1)).toBe('data: [DONE]')
    const chunks = events
      .slice(0, -1)
      .map((event) => JSON.parse(event.slice('data: '.length)) as { object: string })
    // Three tokens (the last carries finish_reason, as vLLM sends it), then the usage chunk.
    expect(chunks).toHaveLength(4)
    expect(new Set(chunks.map((chunk) => chunk.object))).toEqual(new Set(['transcription.chunk']))
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3 } })
  })

  it('price an upload by what it is, not by its bytes: a big file is estimated as a small one', async () => {
    // Each on a fresh fleet of one node, so that nothing learnt from the first changes the second.
    const reasonFor = async (audio: Buffer): Promise<string | string[] | undefined> => {
      const whisper = await startVllm([WHISPER])
      const coordinator = await startProxyHarness()
      coordinator.addNode(whisper.url, { kind: 'openai', models: [WHISPER], hostname: 'whisper-node' })
      const response = await postForm(
        createClient(),
        `${coordinator.url}${TRANSCRIPTIONS}`,
        upload({ model: WHISPER, max_completion_tokens: '1' }, audio),
      )
      await response.body.dump()
      return response.headers['x-fleet-reason']
    }

    // Counted as text, the 5 MB clip would be over a million prompt tokens: minutes of prefill.
    const small = await reasonFor(silentWav(0.5))
    const big = await reasonFor(silentWav(160))

    expect(small).toMatch(/est/)
    expect(big).toBe(small)
  })
})
