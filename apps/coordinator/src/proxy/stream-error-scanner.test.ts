import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { scanErrors } from './stream-error-scanner.js'

/** Streams `chunks` to a consumer that pipes them, as fastify sends a body, and returns what the scanner saw. */
async function scanned(chunks: readonly string[]) {
  const body = Readable.from(chunks.map((chunk) => Buffer.from(chunk)))
  const scanner = scanErrors(body)
  const received: string[] = []
  const client = new Writable({
    write: (chunk, _encoding, done) => {
      received.push(String(chunk))
      done()
    },
  })
  await pipeline(body, client)
  return { error: scanner.streamError, received: received.join('') }
}

describe('scanErrors', () => {
  it('finds an error line split across chunks, and passes every byte on unchanged', async () => {
    const chunks = ['data: {"choices":[]}\n\ndata: {"err', 'or":{"message":"bad input","code":400}}\n\n']
    expect(await scanned(chunks)).toEqual({
      error: { message: 'bad input', status: 400 },
      received: chunks.join(''),
    })
  })

  it("finds Ollama's error as the stream's last line, with no newline after it", async () => {
    const { error } = await scanned(['{"response":"a","done":false}\n', '{"error":"model runner stopped"}'])
    expect(error).toEqual({ message: 'model runner stopped', status: 500 })
  })

  it('does not take a generated "error" inside a string for one', async () => {
    const { error } = await scanned(['{"response":"the \\"error\\" key","done":false}\n'])
    expect(error).toBeNull()
  })
})
