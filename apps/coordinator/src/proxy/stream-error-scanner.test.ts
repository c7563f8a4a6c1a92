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

  describe("the Responses API's events (openai-node src/resources/responses/responses.ts)", () => {
    /** One SSE event as vLLM writes it: `event: <type>` then its JSON (responses/api_router.py). */
    const event = (data: { type: string } & Record<string, unknown>) =>
      `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`
    const response = (status: string, error: unknown) => ({
      id: 'resp_1',
      object: 'response',
      created_at: 1,
      status,
      error,
      incomplete_details: null,
      output: [],
    })

    it('finds an `error` event (ResponseErrorEvent): its code names no status, so the runtime is at fault', async () => {
      const { error } = await scanned([
        event({ type: 'response.created', sequence_number: 0, response: response('in_progress', null) }),
        event({
          type: 'error',
          code: 'server_error',
          message: 'The model crashed',
          param: null,
          sequence_number: 1,
        }),
      ])
      expect(error).toEqual({ message: 'The model crashed', status: 500 })
    })

    it('finds `response.failed` (ResponseFailedEvent) split across chunks; a request-side code is a 400', async () => {
      const failed = event({
        type: 'response.failed',
        sequence_number: 2,
        response: response('failed', { code: 'invalid_prompt', message: 'Invalid prompt' }),
      })
      const { error, received } = await scanned([failed.slice(0, 40), failed.slice(40)])
      expect(error).toEqual({ message: 'Invalid prompt', status: 400 })
      expect(received).toBe(failed)
    })

    it('maps rate_limit_exceeded to 429, and a numeric code (vLLM) to itself', async () => {
      const limited = await scanned([
        event({
          type: 'error',
          code: 'rate_limit_exceeded',
          message: 'slow down',
          param: null,
          sequence_number: 1,
        }),
      ])
      expect(limited.error).toEqual({ message: 'slow down', status: 429 })
      const numeric = await scanned([
        event({ type: 'error', code: 503, message: 'busy', param: null, sequence_number: 1 }),
      ])
      expect(numeric.error).toEqual({ message: 'busy', status: 503 })
    })

    it('takes no successful stream for an error: "error":null, error text, nested error types', async () => {
      const { error } = await scanned([
        event({ type: 'response.created', sequence_number: 0, response: response('in_progress', null) }),
        event({
          type: 'response.output_text.delta',
          sequence_number: 1,
          item_id: 'msg_1',
          output_index: 0,
          content_index: 0,
          delta: 'data: {"type":"error","message":"quoted"}\n{"error":"also quoted"}',
        }),
        event({
          type: 'response.output_item.done',
          sequence_number: 2,
          output_index: 0,
          item: { type: 'error', id: 'x', error: { message: 'nested' } },
        }),
        event({ type: 'response.completed', sequence_number: 3, response: response('completed', null) }),
      ])
      expect(error).toBeNull()
    })
  })
})
