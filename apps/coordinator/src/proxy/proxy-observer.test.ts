import { PassThrough, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { tapBody } from './proxy-observer.js'

function recordingTap() {
  const chunks: string[] = []
  const ends: boolean[] = []
  return {
    chunks,
    ends,
    tap: {
      chunk: (data: Buffer) => chunks.push(data.toString()),
      end: (complete: boolean) => ends.push(complete),
    },
  }
}

describe('tapBody', () => {
  it('sees a chunk that arrives as the consumer starts piping, before the stream says it resumed', async () => {
    const source = new PassThrough()
    // A Transform between the upstream body and the client: the body the tap sees has a chunk ready.
    const body = source.pipe(new Transform({ transform: (chunk, _encoding, done) => done(null, chunk) }))
    const { chunks, ends, tap } = recordingTap()
    tapBody(body, tap)
    const received: string[] = []
    const consumer = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        received.push(chunk.toString())
        done()
      },
    })
    const piped = pipeline(body, consumer)
    // The upstream's first chunk lands in the same tick: the body flows already, 'resume' comes next tick.
    source.write('first')
    source.end('second')
    await piped
    expect(received).toEqual(['first', 'second'])
    expect(chunks).toEqual(['first', 'second'])
    expect(ends).toEqual([true])
  })

  it('does not start the flow before a consumer is attached', async () => {
    const body = new PassThrough()
    const { chunks, tap } = recordingTap()
    tapBody(body, tap)
    body.write('waiting')
    await new Promise((resolve) => setImmediate(resolve))
    expect(body.readableFlowing).toBe(null)
    expect(chunks).toEqual([])
  })
})
