/**
 * vLLM's speech-to-text API: `POST /v1/audio/transcriptions` and `/v1/audio/translations` take a
 * multipart upload and answer `{ text, usage }` (a translation: `{ text }`), `verbose_json`'s
 * `{ duration, language, text, segments, words }` from a Whisper model, or, with `stream=true`, SSE
 * `transcription.chunk` (`translation.chunk`) events, a usage chunk when asked, and `data: [DONE]`.
 * Each behaviour follows vLLM's files under vllm/entrypoints/speech_to_text/ (earlier releases kept them
 * in vllm/entrypoints/openai/speech_to_text/): the routes in transcription/api_router.py and
 * translation/api_router.py, the form fields in transcription/protocol.py and translation/protocol.py
 * (`TranscriptionRequest`, `TranslationRequest`), the checks, the answer and the stream in
 * base/serving.py (`_create_speech_to_text`, `_speech_to_text_stream_generator`), and the error bodies in
 * vllm/entrypoints/serve/exception_handling/ (`validation_exception_handler`, `http_exception_handler`).
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { runAdmittedGeneration } from './admitted-generation.js'
import type { FaultDirective } from './fault-state.js'
import type { GenerationRenderer } from './generation-response.js'
import { readRawBody } from './http-exchange.js'
import { findModel, sendOpenAiError, vllmStreamError } from './openai-api.js'
import { hashBytes, outputLengthTokens, tokenId, tokenText } from './output-length.js'
import type { RuntimeContext } from './runtime-context.js'
import { type FormUpload, readSpeechForm, type SpeechForm, type SpeechTask } from './speech-form.js'
import { type SpeechToTextModel, speechToTextModel } from './speech-to-text-model.js'
import { transcriptionSegments } from './transcription-segments.js'
import { sendBadRequest, sendValidationFailure } from './vllm-errors.js'
import { wavDurationS } from './wav-file.js'

const SSE = 'text/event-stream; charset=utf-8'

/**
 * vLLM refuses a larger file (`VLLM_MAX_AUDIO_CLIP_FILESIZE_MB`, 25 by default, in vllm/envs.py), as
 * OpenAI's API does.
 */
const MAX_AUDIO_FILE_MIB = 25

/**
 * What the serving layer answers of the formats the form accepts; `srt` and `vtt` it refuses (pull
 * requests to serve them, vllm-project/vllm#36966 and #46680, are not merged).
 */
const ANSWERED_FORMATS = new Set(['text', 'json', 'verbose_json', 'diarized_json'])

/** Languages whose chunks and segments join without a space (`no_space_languages`, interfaces.py). */
const NO_SPACE_LANGUAGES = new Set(['ja', 'zh'])

/**
 * The language a `verbose_json` answer names when the form names none: Whisper's (older vLLM defaulted
 * to it; newer detects the language, which the mock cannot, and silence has none).
 */
const DEFAULT_LANGUAGE = 'en'

/** The routes vLLM's speech-to-text router registers, and the task each serves. */
const SPEECH_TO_TEXT_TASKS: Readonly<Record<string, SpeechTask>> = {
  '/v1/audio/transcriptions': 'transcribe',
  '/v1/audio/translations': 'translate',
}

/** Whether `path` is one of vLLM's speech-to-text routes. */
export function isSpeechToTextPath(path: string): boolean {
  return Object.hasOwn(SPEECH_TO_TEXT_TASKS, path)
}

/** The runtime and the fault an upload meets. */
export interface UploadRoute {
  readonly context: RuntimeContext
  readonly fault: FaultDirective
}

/** One upload: the raw body and its content type, with the runtime and the request's fault. */
interface UploadRequest extends UploadRoute, FormUpload {}

/**
 * `POST /v1/audio/transcriptions` or `/v1/audio/translations` (`path`): reads the upload whole, as
 * Starlette does before FastAPI parses the form, and answers it as vLLM does.
 */
export async function handleSpeechToText(
  path: string,
  route: UploadRoute,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const task = SPEECH_TO_TEXT_TASKS[path]
  if (task === undefined) throw new Error(`not a speech-to-text route: ${path}`)
  const body = await readRawBody(request)
  if (!body.ok) {
    sendOpenAiError(response, body.status, { message: body.message, type: 'invalid_request_error' })
    return
  }
  const upload = { ...route, body: body.value, contentType: request.headers['content-type'] }
  return speechToText(upload, response, task)
}

async function speechToText(
  request: UploadRequest,
  response: ServerResponse,
  task: SpeechTask,
): Promise<void> {
  const form = await readSpeechForm(request, task, response)
  if (form === undefined) return
  const { context } = request
  const modelName = form.model ?? context.models.keys().next().value ?? ''
  // `_check_model`: no model names the served one; a wrong one is a 404.
  if (form.model !== undefined && findModel(context, form.model, response) === undefined) return
  const model = speechToTextModel(modelName)
  const refusal = formatRefusal(model, modelName, form)
  if (refusal !== undefined) return sendBadRequest(response, refusal)
  const audio = new Uint8Array(await form.file.arrayBuffer())
  const sizeMiB = audio.length / 1024 ** 2
  if (sizeMiB > MAX_AUDIO_FILE_MIB) {
    // A VLLMValidationError with the size as its value, which `str(exc)` prints as a Python float.
    const value = Number.isInteger(sizeMiB) ? sizeMiB.toFixed(1) : String(sizeMiB)
    return sendValidationFailure(response, 'Maximum file size exceeded', 'audio_filesize_mb', value)
  }
  // vLLM decodes what librosa reads; the mock reads only WAV headers, and answers any other file as
  // vLLM answers one librosa cannot read.
  const durationS = wavDurationS(audio)
  if (durationS === undefined) return sendBadRequest(response, 'Invalid or unsupported audio file.')

  // The limit is capped at `max_model_len` (at least 1), so only a limit below 1 comes through as
  // max_tokens below 1, which SamplingParams refuses (vllm/sampling_params.py `_verify_args`) as a
  // VLLMValidationError.
  if (form.maxCompletionTokens !== undefined && form.maxCompletionTokens < 1n) {
    const got = String(form.maxCompletionTokens)
    return sendValidationFailure(response, `max_tokens must be at least 1, got ${got}.`, 'max_tokens', got)
  }
  const seed = hashBytes(audio)
  const decoderPromptTokens = model.decoderPromptTokens(form.prompt)
  const { outputTokens, finishReason } = answerLength(model, form, seed, decoderPromptTokens)
  const renderer = speechRenderer(task, {
    model: modelName,
    seed,
    responseFormat: form.responseFormat,
    language: form.language ?? DEFAULT_LANGUAGE,
    temperature: form.temperature,
    stream: form.stream,
    includeUsage: form.includeUsage,
    includeContinuousUsage: form.includeUsage && form.includeContinuousUsage,
    promptTokens: decoderPromptTokens + model.audioTokens(durationS),
    outputTokens,
    finishReason,
    durationS,
  })
  const generation = { model: modelName, prompt: form.prompt, seed, outputTokens, fault: request.fault }
  runAdmittedGeneration(context, response, renderer, generation)
}

/**
 * Why `_create_speech_to_text` refuses the form's response format for `model`, checked in its order, or
 * undefined when it answers it.
 */
function formatRefusal(model: SpeechToTextModel, modelName: string, form: SpeechForm): string | undefined {
  const format = form.responseFormat
  if (!ANSWERED_FORMATS.has(format)) {
    return 'Currently only support response_format: `text`, `json`, `verbose_json` or `diarized_json`'
  }
  if (format === 'verbose_json' && !model.supportsSegmentTimestamp) {
    return `Currently do not support verbose_json for ${modelName}`
  }
  if (format === 'diarized_json' && !model.supportsDiarizedTranscription) {
    return `Currently do not support diarized_json for ${modelName}`
  }
  if ((format === 'verbose_json' || format === 'diarized_json') && form.stream) {
    return `${format} format doesn't support streaming case`
  }
  return undefined
}

/** How long the answer runs, and why it stops. */
interface AnswerLength {
  readonly outputTokens: number
  readonly finishReason: 'stop' | 'length'
}

/**
 * The answer's length as vLLM bounds it. The serving layer asks for
 * `get_max_tokens(max_model_len, max_completion_tokens, 0, …)` (vllm/entrypoints/serve/utils/api_utils.py):
 * the request's limit, capped at `max_model_len`, or `max_model_len` without one; the scheduler also stops
 * the request once its decoder prompt and output reach `max_model_len` (`finish_reason: length`). Within
 * that bound the mock's answer runs to the limit the client set, or to its seeded natural length. A limit
 * below 1 is refused before it is asked.
 */
function answerLength(
  model: SpeechToTextModel,
  form: SpeechForm,
  seed: number,
  decoderPromptTokens: number,
): AnswerLength {
  const maxModelLen = model.maxModelLenTokens
  const requested = form.maxCompletionTokens
  const maxTokens = requested === undefined || requested > BigInt(maxModelLen) ? maxModelLen : requested
  // A prompt longer than the context is not modelled: at least one token is generated.
  const bound = Math.max(1, Math.min(Number(maxTokens), maxModelLen - decoderPromptTokens))
  const natural = requested === undefined ? outputLengthTokens(seed) : Number.POSITIVE_INFINITY
  return natural < bound
    ? { outputTokens: natural, finishReason: 'stop' }
    : { outputTokens: bound, finishReason: 'length' }
}

/** What the answer says besides its tokens. */
interface SpeechAnswer {
  readonly model: string
  readonly seed: number
  readonly responseFormat: string
  /** The request's language, or Whisper's default. */
  readonly language: string
  readonly temperature: number
  readonly stream: boolean
  readonly includeUsage: boolean
  /** Every chunk carries the usage so far (`include_continuous_usage`). */
  readonly includeContinuousUsage: boolean
  readonly promptTokens: number
  readonly outputTokens: number
  readonly finishReason: 'stop' | 'length'
  readonly durationS: number
}

function speechRenderer(task: SpeechTask, answer: SpeechAnswer): GenerationRenderer {
  const id = `${task}-${randomUUID().replaceAll('-', '')}`
  const object = task === 'transcribe' ? 'transcription.chunk' : 'translation.chunk'
  const created = Math.floor(Date.now() / 1000)
  const collected: string[] = []
  const lastIndex = answer.outputTokens - 1
  // `model_dump_json(exclude_unset=True)`: a delta carries only its content; the last token's own
  // chunk carries the finish and stop reason (`_speech_to_text_stream_generator` builds the choice
  // with them once `output.finish_reason` is set), and no empty chunk follows it.
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object, created, model: answer.model, choices, ...extra })}\n\n`
  const tokenChoice = (content: string, index: number): Record<string, unknown> =>
    index === lastIndex
      ? { delta: { content }, finish_reason: answer.finishReason, stop_reason: null }
      : { delta: { content } }
  // `UsageInfo`'s field order; `exclude_none=True` (the last chunk) and `exclude_unset=True` (the others)
  // drop `prompt_tokens_details`.
  const usage = (completionTokens: number) => ({
    prompt_tokens: answer.promptTokens,
    total_tokens: answer.promptTokens + completionTokens,
    completion_tokens: completionTokens,
  })
  const tokenChunk = (index: number): string => {
    const choices = [tokenChoice(tokenText(answer.seed, index), index)]
    return chunk(choices, answer.includeContinuousUsage ? { usage: usage(index + 1) } : {})
  }
  return {
    isStreaming: answer.stream,
    streamContentType: SSE,
    renderTokens(firstIndex, count) {
      let text = ''
      for (let i = 0; i < count; i++) {
        if (answer.stream) text += tokenChunk(firstIndex + i)
        else collected.push(tokenText(answer.seed, firstIndex + i))
      }
      return text
    },
    renderEnd() {
      if (!answer.stream) {
        if (answer.responseFormat === 'verbose_json') return JSON.stringify(verboseAnswer(answer, collected))
        const text = collected.join('')
        // The same JSON whatever the format asked, `text` included: the router always answers a
        // `JSONResponse` (vllm-project/vllm#49095).
        return JSON.stringify(
          task === 'transcribe'
            ? { text, usage: { type: 'duration', seconds: Math.ceil(answer.durationS) } }
            : { text },
        )
      }
      let text = ''
      if (answer.includeUsage) text += chunk([], { usage: usage(answer.outputTokens) })
      return `${text}data: [DONE]\n\n`
    },
    renderError: vllmStreamError,
    renderGarbage() {
      return answer.stream ? `data: {"id":"${id}","choices":[{"delta":\n\ndata: not json\n\n` : '{"text":'
    },
  }
}

/**
 * `TranscriptionResponseVerbose` or `TranslationResponseVerbose` dumped whole (`model_dump()`, so unset
 * `words` is null): the clip's length, its language, the segments, and their texts joined by the
 * language's separator (`asr_inter_chunk_separator`). It has no usage. `texts` are the answer's token
 * texts, in order.
 */
function verboseAnswer(answer: SpeechAnswer, texts: readonly string[]): Record<string, unknown> {
  const tokens = texts.map((text, index) => ({ text, id: tokenId(answer.seed, index) }))
  const segments = transcriptionSegments(tokens, answer.durationS, answer.temperature)
  const separator = NO_SPACE_LANGUAGES.has(answer.language.toLowerCase()) ? '' : ' '
  return {
    duration: answer.durationS,
    language: answer.language,
    text: segments.map((segment) => segment.text).join(separator),
    segments,
    words: null,
  }
}
