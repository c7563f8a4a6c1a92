/**
 * `multipart/form-data` bodies written by hand, byte for byte as the OpenAI SDKs write them (CRLF line
 * ends, a `Content-Disposition` per part, a `Content-Type` on files), so that a test controls the order
 * of the parts and can break the framing on purpose.
 */

/** One part: a text field, or a file when it has a `filename`. */
export interface FormPart {
  readonly name: string
  readonly value: string | Buffer
  readonly filename?: string
}

/** The `Content-Type` of a body written with `boundary`. */
export const formContentType = (boundary: string): string => `multipart/form-data; boundary=${boundary}`

/** The parts in the order given, then the closing delimiter. */
export function multipartBody(boundary: string, parts: readonly FormPart[]): Buffer {
  const pieces: Buffer[] = []
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `Content-Disposition: form-data; name="${part.name}"\r\n`
        : `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: audio/wav\r\n`
    pieces.push(
      Buffer.from(`--${boundary}\r\n${disposition}\r\n`),
      Buffer.from(part.value),
      Buffer.from('\r\n'),
    )
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(pieces)
}
