/**
 * vLLM's error bodies, `ErrorResponse` (`{ error: { message, type, param, code } }`, the status as the
 * code), worded as its handlers word them (vllm/entrypoints/serve/exception_handling/): the serving
 * layer's `create_error_response(message)`, and a raised `VLLMValidationError` (vllm/exceptions.py),
 * which the `VLLMError` handler renders with `str(exc)`.
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
