/**
 * The text fields of a `multipart/form-data` body the coordinator already holds in memory (an upload's
 * `model`, `stream`), read with @fastify/busboy, the parser behind @fastify/multipart. Busboy parses
 * views of the one buffer: a file part reaches us as views of it, which are dropped unread, so even a
 * body at the inference limit is never copied.
 */
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { Busboy } from '@fastify/busboy'
import { InvalidInferenceRequestError } from '../../errors.js'

/**
 * Fields, and files, a form may have: Starlette's defaults (`max_fields`, `max_files`), which vLLM's
 * FastAPI enforces. A body of a million tiny parts would otherwise hold the event loop for seconds and
 * gigabytes of memory while the parser walks it.
 */
export const MAX_FORM_PARTS = 1_000
/** The body is handed to the parser in views of this size, so it stops soon after a limit. */
const WRITE_BYTES = 64 * 1024

/**
 * The values of the fields named in `names`, by name. A field sent twice keeps its last value, as
 * Starlette's form data does for vLLM (`ImmutableMultiDict` keeps the last of a repeated key). A part
 * with a filename is a file, whatever its name or type, as Starlette decides. Throws
 * `InvalidInferenceRequestError` (400) for a body that is not valid multipart (no boundary in
 * `contentType`, a part cut short, no closing delimiter) or has more than `MAX_FORM_PARTS` fields or
 * files.
 */
export async function readMultipartFields(
  raw: Buffer,
  /** The request's `Content-Type`, with its `boundary` parameter. */
  contentType: string,
  names: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const fields = new Map<string, string>()
  let tooMany: 'fields' | 'files' | undefined
  try {
    const parser = new Busboy({
      headers: { 'content-type': contentType },
      limits: { fields: MAX_FORM_PARTS, files: MAX_FORM_PARTS },
      isPartAFile: (_name, _type, filename) => filename !== undefined,
    })
    parser.on('field', (name: string, value: string) => {
      if (names.has(name)) fields.set(name, value)
    })
    parser.on('file', (_name, file) => {
      // A part cut short fails on its file stream as well as on the parser, which reports it below:
      // without a listener that second 'error' would be thrown out of the event loop.
      file.on('error', () => undefined)
      file.resume()
    })
    parser.on('fieldsLimit', () => {
      tooMany = 'fields'
    })
    parser.on('filesLimit', () => {
      tooMany = 'files'
    })
    // A failure reaches the catch through `parsed`; listening before the first write keeps an early
    // rejection from going unhandled while the writes finish.
    const parsed = finished(parser)
    parsed.catch(() => undefined)
    for (let at = 0; at < raw.length && tooMany === undefined; at += WRITE_BYTES) {
      await write(parser, raw.subarray(at, at + WRITE_BYTES))
    }
    if (tooMany !== undefined) parser.destroy()
    else parser.end()
    await parsed
  } catch (error) {
    const why =
      tooMany !== undefined
        ? `it has more than ${MAX_FORM_PARTS} ${tooMany}`
        : error instanceof Error
          ? error.message
          : String(error)
    throw new InvalidInferenceRequestError(`The request body is not valid multipart/form-data: ${why}`, {
      cause: error,
    })
  }
  return fields
}

function write(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}
