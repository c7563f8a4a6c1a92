/**
 * vLLM's error bodies, `ErrorResponse` (`{ error: { message, type, param, code } }`, the status as the
 * code), worded as its handlers word them (vllm/entrypoints/serve/exception_handling/): the serving
 * layer's `create_error_response(message)`; a raised `VLLMValidationError` (vllm/exceptions.py), which the
 * `VLLMError` handler renders with `str(exc)`; and FastAPI's `RequestValidationError`, which
 * `validation_exception_handler` (handlers/validation.py) renders as pydantic's errors printed by Python.
 */
import type { ServerResponse } from 'node:http'
import { sendOpenAiError } from './openai-api.js'

/** `ErrorResponse` with `status`, `type` and `param` as given. */
export function sendVllmError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string,
  param?: string,
): void {
  sendOpenAiError(response, status, { message, type, param: param ?? null, code: status })
}

/** `create_error_response(message)` or a raised `ValueError`: a 400 `BadRequestError`. */
export function sendBadRequest(response: ServerResponse, message: string): void {
  sendVllmError(response, 400, message, 'BadRequestError')
}

/**
 * A raised `VLLMValidationError(message, parameter=…, value=…)`: a 400 `BadRequestError` whose param is
 * the parameter and whose message is `str(exc)`, which appends `(parameter=…, value=…)`.
 */
export function sendValidationFailure(
  response: ServerResponse,
  message: string,
  parameter: string,
  value?: string,
): void {
  const extras = value === undefined ? `parameter=${parameter}` : `parameter=${parameter}, value=${value}`
  sendVllmError(response, 400, `${message} (${extras})`, 'BadRequestError', parameter)
}

/** One pydantic error as FastAPI reports a form field's (`exc.errors()`), its `loc` after `body`. */
export interface PydanticError {
  readonly type: string
  /** The field's alias; undefined for an error of the whole model. */
  readonly field: string | undefined
  readonly msg: string
  /** What failed: the field's string, or the whole form as a dict (its number of items). */
  readonly input: string | { readonly dictItems: number }
  /** `ctx`, each value as Python's `repr` prints it. */
  readonly ctx?: Readonly<Record<string, string>>
}

/** `_MAX_ERROR_INPUT_CHARS` and `_MAX_ERROR_CHARS` of handlers/validation.py. */
const MAX_ERROR_INPUT_CHARS = 200
const MAX_ERROR_CHARS = 1000

/**
 * `validation_exception_handler`: a 400 `Bad Request` whose param is the first error's `loc` joined by
 * dots, and whose message lists every error as `_format_error` prints it (the `input` summarized, `loc`
 * joined), through `sanitize_message` (exception_handling/utils.py).
 */
export function sendRequestValidationError(response: ServerResponse, errors: readonly PydanticError[]): void {
  const first = errors[0]
  if (first === undefined) throw new Error('a validation error needs at least one error')
  const label = errors.length === 1 ? 'error' : 'errors'
  const lines = errors.map((error) => `  ${formatError(error)}\n`).join('')
  const message = `${errors.length} validation ${label}:\n${lines}`.trimEnd()
  sendVllmError(response, 400, sanitizeMessage(message), 'Bad Request', errorLoc(first))
}

function errorLoc(error: PydanticError): string {
  return error.field === undefined ? 'body' : `body.${error.field}`
}

/** `str(err)` of the error dict after `_format_error` bounded it. */
function formatError(error: PydanticError): string {
  const input =
    typeof error.input === 'string'
      ? summarizeString(error.input)
      : `<dict of ${error.input.dictItems} items>`
  const fields = [
    `'type': ${pythonStr(error.type)}`,
    `'loc': ${pythonStr(errorLoc(error))}`,
    `'msg': ${pythonStr(error.msg)}`,
    `'input': ${pythonStr(input)}`,
  ]
  if (error.ctx !== undefined) {
    const ctx = Object.entries(error.ctx).map(([key, value]) => `${pythonStr(key)}: ${value}`)
    fields.push(`'ctx': {${ctx.join(', ')}}`)
  }
  return truncate(`{${fields.join(', ')}}`, MAX_ERROR_CHARS)
}

function summarizeString(value: string): string {
  return truncate(value, MAX_ERROR_INPUT_CHARS)
}

/** Python's `text[:limit] + "...[truncated]"` when longer, counting code points. */
function truncate(text: string, limit: number): string {
  const codePoints = Array.from(text)
  return codePoints.length > limit ? `${codePoints.slice(0, limit).join('')}...[truncated]` : text
}

/**
 * Python's `repr` of a string: single quotes unless it holds one and no double quote; backslashes, the
 * quote and what Python deems unprintable escaped.
 */
export function pythonStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let body = ''
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0
    if (character === '\\' || character === quote) body += `\\${character}`
    else if (character === '\n') body += '\\n'
    else if (character === '\r') body += '\\r'
    else if (character === '\t') body += '\\t'
    else if (character !== ' ' && /[\p{C}\p{Z}]/u.test(character)) body += pythonEscape(codePoint)
    else body += character
  }
  return `${quote}${body}${quote}`
}

function pythonEscape(codePoint: number): string {
  const hex = codePoint.toString(16)
  if (codePoint < 0x100) return `\\x${hex.padStart(2, '0')}`
  if (codePoint < 0x10000) return `\\u${hex.padStart(4, '0')}`
  return `\\U${hex.padStart(8, '0')}`
}

/** exception_handling/utils.py `sanitize_message`: no addresses, tracebacks or file paths. */
function sanitizeMessage(message: string): string {
  return message
    .replace(/ at 0x[0-9a-f]+>/g, '>')
    .replace(/\n?\s*File "[^"]+", line \d+, in \S+(\n\s+.*)?/g, '')
    .replace(/\/(?:home|usr|opt|var|tmp|root|lib|mnt|srv)(?:\/[\w.-]+)+/g, '<path>')
    .replace(/(?:\/[\w-]+)+\/[\w-]+\.\w+/g, '<path>')
    .trim()
}
