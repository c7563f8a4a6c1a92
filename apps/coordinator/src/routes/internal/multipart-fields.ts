/**
 * The text fields of a `multipart/form-data` body the coordinator already holds in memory (an upload's
 * `model`, `stream`), read with @fastify/busboy, the parser behind @fastify/multipart. Busboy parses
 * the one buffer in place: a file part reaches us as views of that buffer, which are dropped unread,
 * so even a body at the inference limit is never copied.
 */
import { finished } from 'node:stream/promises'
import { Busboy } from '@fastify/busboy'
import { InvalidInferenceRequestError } from '../../errors.js'

/**
 * The values of the fields named in `names`, by name. A field sent twice keeps its last value, as
 * Starlette's form data does for vLLM (`ImmutableMultiDict` keeps the last of a repeated key). A part
 * with a filename is a file, whatever its name. Throws `InvalidInferenceRequestError` (400) for a body
 * that is not valid multipart: no boundary in `contentType`, a part cut short, no closing delimiter.
 */
export async function readMultipartFields(
  raw: Buffer,
  /** The request's `Content-Type`, with its `boundary` parameter. */
  contentType: string,
  names: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const fields = new Map<string, string>()
  try {
    const parser = new Busboy({ headers: { 'content-type': contentType } })
    parser.on('field', (name: string, value: string) => {
      if (names.has(name)) fields.set(name, value)
    })
    parser.on('file', (_name, file) => {
      // A part cut short fails on its file stream as well as on the parser, which reports it below:
      // without a listener that second 'error' would be thrown out of the event loop.
      file.on('error', () => undefined)
      file.resume()
    })
    // Listening before the write: the parser may fail while it reads the bytes.
    const parsed = finished(parser)
    parser.end(raw)
    await parsed
  } catch (error) {
    throw new InvalidInferenceRequestError(
      `The request body is not valid multipart/form-data: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  return fields
}
