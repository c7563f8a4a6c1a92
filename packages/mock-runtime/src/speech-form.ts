/**
 * An upload's form read as FastAPI reads it into vLLM's request model (`TranscriptionRequest` in
 * vllm/entrypoints/speech_to_text/transcription/protocol.py, `TranslationRequest` in
 * translation/protocol.py): Starlette parses the body, FastAPI hands pydantic a dict of the form's
 * strings with every field's non-None default filled in (fastapi/dependencies/utils.py
 * `_extract_form_body`), the model's `mode="before"` validator sees that raw dict first, and pydantic then
 * validates each field, reporting every failure at once in the model's field order.
 */
import type { ServerResponse } from 'node:http'
import {
  type PydanticError,
  pythonStr,
  sendRequestValidationError,
  sendValidationFailure,
  sendVllmError,
} from './vllm-errors.js'

/** One value of a form: a string field or a file (the DOM's `FormValue`). */
type FormValue = string | File

/** Which request model reads the form. */
export type SpeechTask = 'transcribe' | 'translate'

/** The form as vLLM's request model holds it, for the fields the mock reads. */
export interface SpeechForm {
  readonly file: Blob
  /** Undefined when absent or empty: the served model. */
  readonly model: string | undefined
  /** The language of the audio, as sent. */
  readonly language: string | undefined
  readonly prompt: string
  readonly responseFormat: string
  /** The sampling temperature (0 by default), which a `verbose_json` segment reports. */
  readonly temperature: number
  readonly stream: boolean
  readonly includeUsage: boolean
  /** `stream_continuous_usage_stats`: every chunk carries the usage so far (with `includeUsage`). */
  readonly includeContinuousUsage: boolean
  /** As sent: pydantic's `int` has no bound; the serving layer caps it. */
  readonly maxCompletionTokens: bigint | undefined
}

/** An upload's body and content type. */
export interface FormUpload {
  readonly body: Buffer
  readonly contentType: string | undefined
}

/**
 * What the form may ask for: `AudioResponseFormat` (base/protocol.py), which a transcription extends
 * with `diarized_json` (vLLM 0.27, vllm-project/vllm#48543); a translation does not.
 */
const RESPONSE_FORMATS: Readonly<Record<SpeechTask, readonly string[]>> = {
  transcribe: ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'],
  translate: ['json', 'text', 'srt', 'verbose_json', 'vtt'],
}

/**
 * The request model's fields that the mock counts or validates, in declaration order (pydantic reports
 * its errors in this order): every field whose default is not None, and the two it validates that have
 * none (`UNFILLED_FIELDS`).
 */
const FIELDS: Readonly<Record<SpeechTask, readonly string[]>> = {
  transcribe: [
    'file',
    'prompt',
    'response_format',
    'timestamp_granularities[]',
    'stream',
    'stream_include_usage',
    'stream_continuous_usage_stats',
    'use_beam_search',
    'n',
    'length_penalty',
    'include_stop_str_in_output',
    'temperature',
    'frequency_penalty',
    'presence_penalty',
    'max_completion_tokens',
  ],
  translate: [
    'file',
    'prompt',
    'response_format',
    'use_beam_search',
    'n',
    'length_penalty',
    'include_stop_str_in_output',
    'temperature',
    'frequency_penalty',
    'presence_penalty',
    'stream',
    'stream_include_usage',
    'stream_continuous_usage_stats',
    'max_completion_tokens',
  ],
}

/**
 * The fields of `FIELDS` with no default (`file`) or a None one, which FastAPI leaves out of the dict
 * pydantic validates when the form does; it fills in every other, so `input` counts them for an error of
 * a missing field.
 */
const UNFILLED_FIELDS: ReadonlySet<string> = new Set(['file', 'max_completion_tokens'])

const STREAM_OPTIONS = ['stream_include_usage', 'stream_continuous_usage_stats'] as const

/** Longest string pydantic-core reads as an integer (`int_parsing_size` beyond it). */
const MAX_INT_STRING_LENGTH = 4300

/**
 * The form as `task`'s request model reads it, or undefined once vLLM's error is sent. A body that is not
 * a form reads as an empty one (Starlette), so it lacks its file.
 */
export async function readSpeechForm(
  upload: FormUpload,
  task: SpeechTask,
  response: ServerResponse,
): Promise<SpeechForm | undefined> {
  const form = await parseForm(upload)
  if (form === 'unreadable') {
    // FastAPI wraps a form it cannot parse in HTTPException(400, "There was an error parsing the body").
    sendVllmError(response, 400, 'There was an error parsing the body', 'Bad Request')
    return undefined
  }
  // Starlette keeps the last of a repeated field.
  const raw = (name: string): FormValue | undefined => form.getAll(name).at(-1)
  if (!passesModelValidator(raw, task, response)) return undefined

  const errors: PydanticError[] = []
  const fail: Fail = (error) => {
    errors.push(error)
  }
  const text = (name: string): string | undefined => {
    const value = raw(name)
    return typeof value === 'string' ? value : undefined
  }
  const filled = FIELDS[task].filter((field) => !UNFILLED_FIELDS.has(field))
  const formItems = new Set([...form.keys(), ...filled]).size
  const file = readFile(raw('file'), formItems, fail)
  const responseFormat = readResponseFormat(text('response_format') ?? 'json', RESPONSE_FORMATS[task], fail)
  const temperatureText = text('temperature')
  const temperature = temperatureText === undefined ? 0 : readFloat('temperature', temperatureText, fail)
  const stream = readBoolean('stream', text('stream'), fail)
  const includeUsage = readBoolean('stream_include_usage', text('stream_include_usage'), fail)
  const includeContinuousUsage = readBoolean(
    'stream_continuous_usage_stats',
    text('stream_continuous_usage_stats'),
    fail,
  )
  const limit = text('max_completion_tokens')
  const maxCompletionTokens =
    limit === undefined ? undefined : readInteger('max_completion_tokens', limit, fail)
  // A missing or refused file is always among the errors.
  if (errors.length > 0 || file === undefined) {
    const position = (error: PydanticError) => FIELDS[task].indexOf(error.field ?? '')
    sendRequestValidationError(
      response,
      errors.sort((a, b) => position(a) - position(b)),
    )
    return undefined
  }
  const model = text('model')
  return {
    file,
    model: model === '' ? undefined : model,
    language: text('language'),
    prompt: text('prompt') ?? '',
    responseFormat,
    temperature,
    stream,
    includeUsage,
    includeContinuousUsage,
    maxCompletionTokens,
  }
}

/**
 * The request model's `mode="before"` validator, on the raw strings (`validate_transcription_request`,
 * `validate_stream_options`); false once its error is sent. Neither error is a pydantic one:
 * `HTTPException` goes to FastAPI's handler, and `VLLMValidationError`, a `VLLMClientError` rather than a
 * `ValueError` since vLLM 0.27 (vllm/exceptions.py), passes through pydantic to the `VLLMError` handler,
 * which answers `create_error_response(exc)`: 400 `BadRequestError`, the parameter as param, `str(exc)`.
 */
function passesModelValidator(
  raw: (name: string) => FormValue | undefined,
  task: SpeechTask,
  response: ServerResponse,
): boolean {
  if (task === 'transcribe' && typeof raw('file') === 'string') {
    sendVllmError(
      response,
      422,
      "Expected 'file' to be a file-like object, not 'str'.",
      'Unprocessable Entity',
    )
    return false
  }
  // `data.get(so, False)` is the field's raw string when sent (so `"false"` counts as set) and the default
  // False when not; `stream` likewise.
  const isSet = (name: string) => {
    const value = raw(name)
    return value !== undefined && value !== ''
  }
  const option = STREAM_OPTIONS.find(isSet)
  if (option !== undefined && !isSet('stream')) {
    sendValidationFailure(response, 'Stream options can only be defined when `stream=True`.', option)
    return false
  }
  return true
}

/** Records one field's failure; the reader then returns a stand-in the caller never uses. */
type Fail = (error: PydanticError) => void

/**
 * `file: UploadFile`: absent, it is missing from the form's dict; a string fails UploadFile's validator
 * (only a translation's gets that far: a transcription's validator refuses it first).
 */
function readFile(value: FormValue | undefined, formItems: number, fail: Fail): Blob | undefined {
  if (value === undefined) {
    fail({ type: 'missing', field: 'file', msg: 'Field required', input: { dictItems: formItems } })
    return undefined
  }
  if (typeof value !== 'string') return value
  // fastapi/datastructures.py `UploadFile._validate`.
  const message = `Expected UploadFile, received: <class 'str'>`
  fail({
    type: 'value_error',
    field: 'file',
    msg: `Value error, ${message}`,
    input: value,
    ctx: { error: `ValueError(${pythonStr(message)})` },
  })
  return undefined
}

function readResponseFormat(value: string, formats: readonly string[], fail: Fail): string {
  if (formats.includes(value)) return value
  const quoted = formats.map((format) => `'${format}'`)
  const expected = `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
  fail({
    type: 'literal_error',
    field: 'response_format',
    msg: `Input should be ${expected}`,
    input: value,
    ctx: { expected: pythonStr(expected) },
  })
  return value
}

/** pydantic's `bool` from a string: these words, in any case; anything else fails validation. */
function readBoolean(field: string, value: string | undefined, fail: Fail): boolean {
  if (value === undefined) return false
  const word = value.toLowerCase()
  if (['1', 'on', 't', 'true', 'y', 'yes'].includes(word)) return true
  if (['0', 'off', 'f', 'false', 'n', 'no'].includes(word)) return false
  fail({
    type: 'bool_parsing',
    field,
    msg: 'Input should be a valid boolean, unable to interpret input',
    input: value,
  })
  return false
}

/**
 * pydantic's `float` from a string (pydantic-core parses it as Rust's `f64` does): trimmed, decimal or
 * exponent notation, `inf` and `nan` in any case.
 */
function readFloat(field: string, value: string, fail: Fail): number {
  const trimmed = value.trim()
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed)
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return Number(trimmed)
  const msg = 'Input should be a valid number, unable to parse string as a number'
  fail({ type: 'float_parsing', field, msg, input: value })
  return 0
}

/**
 * pydantic's `int` from a string (pydantic-core `str_as_int`): trimmed, an optional sign and digits, and
 * any number of zeros after a decimal point; unbounded, so it is read as a bigint.
 */
function readInteger(field: string, value: string, fail: Fail): bigint | undefined {
  const trimmed = value.trim()
  if (trimmed.length > MAX_INT_STRING_LENGTH) {
    const msg = 'Unable to parse input string as an integer, exceeded maximum size'
    fail({ type: 'int_parsing_size', field, msg, input: value })
    return undefined
  }
  const digits = /^([+-]?\d+)(?:\.0*)?$/.exec(trimmed)?.[1]
  if (digits !== undefined) return BigInt(digits)
  const msg = 'Input should be a valid integer, unable to parse string as an integer'
  fail({ type: 'int_parsing', field, msg, input: value })
  return undefined
}

/** The body as form data (undici's parser, Node's own), or `unreadable` when a form fails to parse. */
async function parseForm(upload: FormUpload): Promise<FormData | 'unreadable'> {
  const contentType = upload.contentType ?? ''
  if (!/^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType))
    return new FormData()
  try {
    return await new Request('http://mock.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: upload.body,
    }).formData()
  } catch {
    // The parse failure is the client's malformed body, and the answer says so.
    return 'unreadable'
  }
}
