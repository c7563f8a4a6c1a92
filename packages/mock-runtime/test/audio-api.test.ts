import { type Agent, FormData, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { silentWav } from '../src/index.js'
import { sseData, startTestRuntime, testAgent } from './helpers/test-runtime.js'

const WHISPER = 'openai/whisper-large-v3'

/** A form as the official clients send it: the file first, then the fields. */
function upload(fields: Record<string, string>, file: Blob | string = new Blob([silentWav(2)])): FormData {
  const form = new FormData()
  if (typeof file === 'string') form.append('file', file)
  else form.append('file', file, 'clip.wav')
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  return form
}

async function post(agent: Agent, url: string, body: FormData | string, contentType?: string) {
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    body,
    ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
  })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

describe('vLLM speech to text', () => {
  it('transcribes an upload to { text, usage } with the clip length in seconds, rounded up', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { status, headers, text } = await post(
      testAgent(),
      `${runtime.url}/v1/audio/transcriptions`,
      upload({ model: WHISPER, max_completion_tokens: '3' }, new Blob([silentWav(1.2)])),
    )
    expect(status).toBe(200)
    expect(headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(text)).toEqual({
      text: expect.stringMatching(/^([a-z]+ ){3}$/),
      usage: { type: 'duration', seconds: 2 },
    })
  })

  it('answers the same text for the same audio, and JSON for response_format=text too (vllm#49095)', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const agent = testAgent()
    const url = `${runtime.url}/v1/audio/transcriptions`
    const asJson = JSON.parse((await post(agent, url, upload({ model: WHISPER }))).text) as { text: string }
    const asText = await post(agent, url, upload({ model: WHISPER, response_format: 'text' }))
    expect(asText.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(asText.text)).toMatchObject({ text: asJson.text })
  })

  it("counts a Whisper prompt's streamed tokens as vLLM does: the decoder prompt plus a token per 10 ms of audio", async () => {
    // whisper.py: `<|startoftranscript|><|en|><|transcribe|><|notimestamps|>` (4 tokens), `<|prev|>` and
    // the prompt before them when there is one, and ceil(1.2 s × 16000 / 160) = 120 for the audio.
    const runtime = await startTestRuntime({
      kind: 'openai',
      models: [WHISPER, 'mistralai/Voxtral-Mini-3B-2507'],
    })
    const agent = testAgent()
    const url = `${runtime.url}/v1/audio/transcriptions`
    const usage = async (fields: Record<string, string>) => {
      const form = upload(
        { stream: 'true', stream_include_usage: 'true', max_completion_tokens: '2', ...fields },
        new Blob([silentWav(1.2)]),
      )
      const events = sseData((await post(agent, url, form)).text).slice(0, -1)
      return (JSON.parse(events.at(-1) ?? '{}') as { usage: unknown }).usage
    }
    expect(await usage({ model: WHISPER })).toEqual({
      prompt_tokens: 124,
      total_tokens: 126,
      completion_tokens: 2,
    })
    // A 12-character prompt: `<|prev|>` and 3 tokens.
    expect(await usage({ model: WHISPER, prompt: 'Fleet, GPUs.' })).toMatchObject({ prompt_tokens: 128 })
    // A model without get_num_audio_tokens counts its prompt alone.
    expect(await usage({ model: 'mistralai/Voxtral-Mini-3B-2507', prompt: 'Fleet, GPUs.' })).toMatchObject({
      prompt_tokens: 3,
    })
  })

  it("caps max_completion_tokens at Whisper's max_model_len (448) less its decoder prompt, as vLLM bounds it", async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const agent = testAgent()
    const url = `${runtime.url}/v1/audio/transcriptions`
    // 10^20 tokens: get_max_tokens caps it at 448, and the scheduler stops at 448 - 4 prompt tokens.
    const whole = await post(
      agent,
      url,
      upload({ model: WHISPER, max_completion_tokens: '100000000000000000000' }),
    )
    expect(whole.status).toBe(200)
    expect((JSON.parse(whole.text) as { text: string }).text.split(' ')).toHaveLength(444 + 1)
    const streamed = await post(
      agent,
      url,
      upload({ model: WHISPER, stream: 'true', stream_include_usage: 'true', max_completion_tokens: ' +7 ' }),
    )
    const events = sseData(streamed.text)
      .slice(0, -1)
      .map((payload) => JSON.parse(payload) as { choices: { finish_reason?: string }[]; usage?: unknown })
    expect(events.at(-2)?.choices[0]?.finish_reason).toBe('length')
    expect(events.at(-1)?.usage).toMatchObject({ completion_tokens: 7 })
  })

  it('stops an answer without a limit at max_model_len too, with finish_reason length', async () => {
    // silentWav(2)'s seeded natural length is 536 tokens, past Whisper's 444.
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { text } = await post(
      testAgent(),
      `${runtime.url}/v1/audio/transcriptions`,
      upload({ model: WHISPER, stream: 'true', stream_include_usage: 'true' }),
    )
    const events = sseData(text)
      .slice(0, -1)
      .map((payload) => JSON.parse(payload) as { choices: { finish_reason?: string }[]; usage?: unknown })
    expect(events.at(-2)?.choices[0]?.finish_reason).toBe('length')
    expect(events.at(-1)?.usage).toMatchObject({ completion_tokens: 444 })
  })

  it.each([
    ['0', '0'],
    ['-5', '-5'],
    ['-100000000000000000000', '-100000000000000000000'],
  ])('refuses max_completion_tokens=%s as SamplingParams does, once the form is read', async (limit, got) => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const response = await post(
      testAgent(),
      `${runtime.url}/v1/audio/transcriptions`,
      upload({ model: WHISPER, max_completion_tokens: limit }),
    )
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text)).toEqual({
      error: {
        message: `max_tokens must be at least 1, got ${got}. (parameter=max_tokens, value=${got})`,
        type: 'BadRequestError',
        param: 'max_tokens',
        code: 400,
      },
    })
  })

  it('translates to { text } alone, and serves the one model when the form names none', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { status, text } = await post(testAgent(), `${runtime.url}/v1/audio/translations`, upload({}))
    expect(status).toBe(200)
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['text'])
  })

  it('streams transcription.chunk events, the usage chunk when asked, then [DONE]', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { status, headers, text } = await post(
      testAgent(),
      `${runtime.url}/v1/audio/transcriptions`,
      upload({ model: WHISPER, stream: 'true', stream_include_usage: 'true', max_completion_tokens: '2' }),
    )
    expect(status).toBe(200)
    expect(headers['content-type']).toMatch(/^text\/event-stream/)
    const data = sseData(text)
    expect(data.at(-1)).toBe('[DONE]')
    const events = data.slice(0, -1).map((payload) => JSON.parse(payload) as Record<string, unknown>)
    // Two tokens and the usage chunk: no empty chunk after the last token.
    expect(events).toHaveLength(3)
    const id = events[0]?.id
    expect(id).toMatch(/^transcribe-/)
    for (const event of events) {
      expect(event).toMatchObject({
        id,
        object: 'transcription.chunk',
        model: WHISPER,
        created: expect.any(Number),
      })
    }
    expect(events[0]?.choices).toEqual([{ delta: { content: expect.stringMatching(/^[a-z]+ $/) } }])
    // The last token's own chunk carries the finish reason (base/serving.py).
    expect(events[1]?.choices).toEqual([
      { delta: { content: expect.stringMatching(/^[a-z]+ $/) }, finish_reason: 'length', stop_reason: null },
    ])
    expect(events[2]).toMatchObject({ choices: [], usage: { completion_tokens: 2 } })
  })

  it('streams translation.chunk events without usage unless asked', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { text } = await post(
      testAgent(),
      `${runtime.url}/v1/audio/translations`,
      upload({ model: WHISPER, stream: 'True', max_completion_tokens: '1' }),
    )
    const events = sseData(text)
      .slice(0, -1)
      .map((payload) => JSON.parse(payload) as Record<string, unknown>)
    expect(events.map((event) => event.object)).toEqual(['translation.chunk'])
    expect(events[0]).toMatchObject({
      choices: [{ delta: { content: expect.any(String) }, finish_reason: 'length' }],
    })
    expect(events[0]?.id).toMatch(/^translate-/)
    expect(events.some((event) => 'usage' in event)).toBe(false)
  })

  it.each([
    ['a model it does not serve', upload({ model: 'whisper-tiny' }), 404, 'NotFoundError', 'model'],
    [
      'a format outside the list',
      upload({ response_format: 'mp3' }),
      400,
      'Bad Request',
      'body.response_format',
    ],
    ['a stream flag that is not a boolean', upload({ stream: 'maybe' }), 400, 'Bad Request', 'body.stream'],
    [
      'usage without a stream',
      upload({ stream_include_usage: 'true' }),
      400,
      'BadRequestError',
      'stream_include_usage',
    ],
    ['a file it cannot decode', upload({}, new Blob(['ID3 an mp3'])), 400, 'BadRequestError', null],
    [
      'no file',
      (() => {
        const form = new FormData()
        form.append('model', WHISPER)
        return form
      })(),
      400,
      'Bad Request',
      'body.file',
    ],
    ['a file sent as text', upload({}, 'not a file'), 422, 'Unprocessable Entity', null],
  ])('refuses %s as vLLM does', async (_case, form, status, type, param) => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const response = await post(testAgent(), `${runtime.url}/v1/audio/transcriptions`, form)
    expect(response.status).toBe(status)
    expect(JSON.parse(response.text)).toMatchObject({ error: { type, param, code: status } })
  })

  describe('verbose_json, which vLLM serves for Whisper (supports_segment_timestamp)', () => {
    interface Verbose {
      duration: number
      language: string
      text: string
      segments: Record<string, unknown>[]
      words: null
    }

    it('answers the duration, language, text and segments, in 20 ms timestamps, without usage', async () => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const response = await post(
        testAgent(),
        `${runtime.url}/v1/audio/transcriptions`,
        upload({ response_format: 'verbose_json', max_completion_tokens: '30' }),
      )
      expect(response.status).toBe(200)
      const verbose = JSON.parse(response.text) as Verbose
      expect(Object.keys(verbose)).toEqual(['duration', 'language', 'text', 'segments', 'words'])
      expect(verbose).toMatchObject({ duration: 2, language: 'en', words: null })
      // 30 tokens in segments of 12 over 2 s: a third of the clip each, to the nearest 20 ms.
      expect(verbose.segments.map(({ id, seek, start, end }) => ({ id, seek, start, end }))).toEqual([
        { id: 0, seek: 0, start: 0, end: 0.66 },
        { id: 1, seek: 0, start: 0.66, end: 1.34 },
        { id: 2, seek: 0, start: 1.34, end: 2 },
      ])
      const [first] = verbose.segments
      expect(Object.keys(first ?? {})).toEqual([
        'id',
        'avg_logprob',
        'compression_ratio',
        'end',
        'no_speech_prob',
        'seek',
        'start',
        'temperature',
        'text',
        'tokens',
      ])
      expect(first).toMatchObject({
        text: 'prompt a between until finish of answers arrive shares the faster this ',
        tokens: [7, 14, 21, 28, 35, 42, 5, 12, 19, 26, 33, 40],
        temperature: 0,
        no_speech_prob: null,
      })
      // len(text) / len(zlib.compress(text)): Python's zlib 1.2.13 makes it 72 / 66; Node's differs by bytes.
      expect(first?.compression_ratio).toBeCloseTo(72 / 66, 1)
      // The segments' texts joined by a space, as vLLM joins them for a language with spaces.
      expect(verbose.text).toBe(verbose.segments.map((segment) => segment.text).join(' '))
    })

    it('names the language asked, reports the temperature, and numbers each 30 s chunk from 0', async () => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const response = await post(
        testAgent(),
        `${runtime.url}/v1/audio/translations`,
        upload(
          {
            response_format: 'verbose_json',
            language: 'de',
            temperature: '0.2',
            max_completion_tokens: '60',
          },
          new Blob([silentWav(65)]),
        ),
      )
      expect(response.status).toBe(200)
      const verbose = JSON.parse(response.text) as Verbose
      expect(verbose).toMatchObject({ duration: 65, language: 'de' })
      // 65 s in chunks of 30, 30 and 5 s, with their shares of the 60 tokens: 28, 27 and 5.
      expect(
        verbose.segments.map(({ id, seek, start, end, temperature }) => [id, seek, start, end, temperature]),
      ).toEqual([
        [0, 0, 0, 10, 0.2],
        [1, 0, 10, 20, 0.2],
        [2, 0, 20, 30, 0.2],
        [0, 30, 30, 40, 0.2],
        [1, 30, 40, 50, 0.2],
        [2, 30, 50, 60, 0.2],
        [0, 60, 60, 65, 0.2],
      ])
    })

    it.each([
      [
        'a model without segment timestamps',
        { model: 'mistralai/Voxtral-Mini-3B-2507', response_format: 'verbose_json' },
        'Currently do not support verbose_json for mistralai/Voxtral-Mini-3B-2507',
      ],
      [
        'a stream',
        { model: WHISPER, response_format: 'verbose_json', stream: 'true' },
        "verbose_json format doesn't support streaming case",
      ],
      [
        'srt, which vLLM does not answer',
        { model: WHISPER, response_format: 'srt' },
        'Currently only support response_format: `text`, `json`, `verbose_json` or `diarized_json`',
      ],
      [
        'vtt likewise',
        { model: WHISPER, response_format: 'vtt' },
        'Currently only support response_format: `text`, `json`, `verbose_json` or `diarized_json`',
      ],
      [
        'diarized_json from Whisper',
        { model: WHISPER, response_format: 'diarized_json' },
        'Currently do not support diarized_json for openai/whisper-large-v3',
      ],
    ])('refuses it for %s, as _create_speech_to_text does', async (_case, fields, message) => {
      const runtime = await startTestRuntime({
        kind: 'openai',
        models: [WHISPER, 'mistralai/Voxtral-Mini-3B-2507'],
      })
      const response = await post(testAgent(), `${runtime.url}/v1/audio/transcriptions`, upload(fields))
      expect(response.status).toBe(400)
      expect(JSON.parse(response.text)).toEqual({
        error: { message, type: 'BadRequestError', param: null, code: 400 },
      })
    })

    it('takes diarized_json as a transcription format only (translations keep the five)', async () => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const response = await post(
        testAgent(),
        `${runtime.url}/v1/audio/translations`,
        upload({ response_format: 'diarized_json', temperature: 'warm' }),
      )
      expect(JSON.parse(response.text)).toEqual({
        error: {
          message:
            "2 validation errors:\n  {'type': 'literal_error', 'loc': 'body.response_format', 'msg': \"Input should be 'json', 'text', 'srt', 'verbose_json' or 'vtt'\", 'input': 'diarized_json', 'ctx': {'expected': \"'json', 'text', 'srt', 'verbose_json' or 'vtt'\"}}\n  {'type': 'float_parsing', 'loc': 'body.temperature', 'msg': 'Input should be a valid number, unable to parse string as a number', 'input': 'warm'}",
          type: 'Bad Request',
          param: 'body.response_format',
          code: 400,
        },
      })
    })
  })

  describe('stream options without a stream, refused by the request model\'s mode="before" validator', () => {
    // The validator raises VLLMValidationError, a VLLMClientError (not a ValueError) since vLLM 0.27, so it
    // passes through pydantic to the VLLMError handler: create_error_response(exc), str(exc) as the message.
    const refusal = (parameter: string) => ({
      error: {
        message: `Stream options can only be defined when \`stream=True\`. (parameter=${parameter})`,
        type: 'BadRequestError',
        param: parameter,
        code: 400,
      },
    })

    it.each([
      ['/v1/audio/transcriptions', { stream_include_usage: 'true' }, 'stream_include_usage'],
      // The validator reads the raw strings: "false" is a set option, as "" for stream is no stream.
      ['/v1/audio/transcriptions', { stream_include_usage: 'false', stream: '' }, 'stream_include_usage'],
      ['/v1/audio/translations', { stream_continuous_usage_stats: '1' }, 'stream_continuous_usage_stats'],
    ])('%s %j', async (path, fields, parameter) => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const response = await post(testAgent(), `${runtime.url}${path}`, upload({ model: WHISPER, ...fields }))
      expect(response.status).toBe(400)
      expect(JSON.parse(response.text)).toEqual(refusal(parameter))
    })

    it('lets them pass with stream=false, which the validator sees as a string, and answers whole', async () => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const response = await post(
        testAgent(),
        `${runtime.url}/v1/audio/transcriptions`,
        upload({ model: WHISPER, stream: 'false', stream_include_usage: 'true', max_completion_tokens: '2' }),
      )
      expect(response.status).toBe(200)
      expect(JSON.parse(response.text)).toMatchObject({ usage: { type: 'duration', seconds: 2 } })
    })
  })

  describe("form fields pydantic refuses, worded as validation_exception_handler prints pydantic's errors", () => {
    /** A form of these fields only, no file. */
    const fieldsOnly = (fields: Record<string, string>): FormData => {
      const form = new FormData()
      for (const [name, value] of Object.entries(fields)) form.append(name, value)
      return form
    }
    const refusal = (param: string, ...errors: string[]) => ({
      error: {
        message: `${errors.length} validation error${errors.length === 1 ? '' : 's'}:\n  ${errors.join('\n  ')}`,
        type: 'Bad Request',
        param,
        code: 400,
      },
    })

    it.each([
      [
        // The input is the dict FastAPI built: the model name and the 13 fields with a non-None default.
        'a transcription without its file',
        '/v1/audio/transcriptions',
        fieldsOnly({ model: WHISPER }),
        refusal(
          'body.file',
          "{'type': 'missing', 'loc': 'body.file', 'msg': 'Field required', 'input': '<dict of 14 items>'}",
        ),
      ],
      [
        "every failing field at once, in the model's order",
        '/v1/audio/transcriptions',
        fieldsOnly({ stream: 'maybe', response_format: 'mp3', max_completion_tokens: '1e20' }),
        refusal(
          'body.file',
          "{'type': 'missing', 'loc': 'body.file', 'msg': 'Field required', 'input': '<dict of 14 items>'}",
          "{'type': 'literal_error', 'loc': 'body.response_format', 'msg': \"Input should be 'json', 'text', 'srt', 'verbose_json', 'vtt' or 'diarized_json'\", 'input': 'mp3', 'ctx': {'expected': \"'json', 'text', 'srt', 'verbose_json', 'vtt' or 'diarized_json'\"}}",
          "{'type': 'bool_parsing', 'loc': 'body.stream', 'msg': 'Input should be a valid boolean, unable to interpret input', 'input': 'maybe'}",
          "{'type': 'int_parsing', 'loc': 'body.max_completion_tokens', 'msg': 'Input should be a valid integer, unable to parse string as an integer', 'input': '1e20'}",
        ),
      ],
      [
        // TranslationRequest has 12 fields with a non-None default, and no check of its own on the file.
        'a translation whose file is a string',
        '/v1/audio/translations',
        upload({ model: WHISPER }, 'not a file'),
        refusal(
          'body.file',
          "{'type': 'value_error', 'loc': 'body.file', 'msg': \"Value error, Expected UploadFile, received: <class 'str'>\", 'input': 'not a file', 'ctx': {'error': ValueError(\"Expected UploadFile, received: <class 'str'>\")}}",
        ),
      ],
      [
        'a JSON body, read as an empty form',
        '/v1/audio/translations',
        JSON.stringify({ model: WHISPER }),
        refusal(
          'body.file',
          "{'type': 'missing', 'loc': 'body.file', 'msg': 'Field required', 'input': '<dict of 12 items>'}",
        ),
      ],
    ])('%s', async (_case, path, body, expected) => {
      const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
      const contentType = typeof body === 'string' ? 'application/json' : undefined
      const response = await post(testAgent(), `${runtime.url}${path}`, body, contentType)
      expect(response.status).toBe(400)
      expect(JSON.parse(response.text)).toEqual(expected)
    })
  })

  it('streams the usage so far in every chunk with stream_continuous_usage_stats', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const { text } = await post(
      testAgent(),
      `${runtime.url}/v1/audio/transcriptions`,
      upload({
        model: WHISPER,
        stream: 'true',
        stream_include_usage: 'true',
        stream_continuous_usage_stats: 'true',
        max_completion_tokens: '2',
      }),
    )
    const usages = sseData(text)
      .slice(0, -1)
      .map((payload) => (JSON.parse(payload) as { usage?: unknown }).usage)
    // silentWav(2): 4 + 200 prompt tokens.
    expect(usages).toEqual([
      { prompt_tokens: 204, total_tokens: 205, completion_tokens: 1 },
      { prompt_tokens: 204, total_tokens: 206, completion_tokens: 2 },
      { prompt_tokens: 204, total_tokens: 206, completion_tokens: 2 },
    ])
  })

  it('refuses a file over 25 MiB as the VLLMValidationError vLLM raises, its size in the message', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const file = new Blob([new Uint8Array(26 * 1024 ** 2)])
    const response = await post(testAgent(), `${runtime.url}/v1/audio/transcriptions`, upload({}, file))
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text)).toEqual({
      error: {
        message: 'Maximum file size exceeded (parameter=audio_filesize_mb, value=26.0)',
        type: 'BadRequestError',
        param: 'audio_filesize_mb',
        code: 400,
      },
    })
  })

  it('answers a JSON body as a form without its file, and a broken form as unparseable', async () => {
    const runtime = await startTestRuntime({ kind: 'openai', models: [WHISPER] })
    const agent = testAgent()
    const url = `${runtime.url}/v1/audio/transcriptions`
    const json = await post(agent, url, JSON.stringify({ model: WHISPER }), 'application/json')
    expect(json.status).toBe(400)
    expect(JSON.parse(json.text)).toMatchObject({ error: { param: 'body.file' } })
    const broken = await post(
      agent,
      url,
      '--b\r\nContent-Disposition: form-data; name="model"',
      'multipart/form-data; boundary=b',
    )
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.text)).toMatchObject({
      error: { message: 'There was an error parsing the body' },
    })
  })

  it('has no translations route when it plays Ollama or llama-server, as neither server has one', async () => {
    // ollama/ollama server/routes.go and llama.cpp tools/server/server.cpp register transcriptions only.
    const ollama = await startTestRuntime({ kind: 'ollama' })
    const llamaServer = await startTestRuntime({ kind: 'openai', server: 'llama-server' })
    const agent = testAgent()
    expect((await post(agent, `${ollama.url}/v1/audio/translations`, upload({}))).status).toBe(404)
    expect((await post(agent, `${llamaServer.url}/v1/audio/translations`, upload({}))).status).toBe(404)
  })
})
