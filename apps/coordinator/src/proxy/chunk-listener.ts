import type { Readable } from 'node:stream'

/**
 * Calls `listener` with each chunk of `body` without changing how it flows: the 'data' listener is
 * added in the same tick as the consumer's own (fastify's pipe), just before it, so the flow starts
 * when the client's pipe exists and backpressure stays the pipe's. Not at 'resume': that event comes a
 * tick after the pipe started the flow, and a chunk the body had ready went past first (the first
 * chunk of a stream, whose arrival is the answer's first byte).
 */
export function listenToChunks(body: Readable, listener: (chunk: Buffer) => void): void {
  const attach = (event: string | symbol) => {
    if (event !== 'data') return
    body.off('newListener', attach)
    body.on('data', listener)
  }
  body.on('newListener', attach)
}
