/**
 * BatchedLogDestination: where pino writes the coordinator's NDJSON log lines. pino's default
 * destination makes one synchronous write(2) per line; with one `proxied` line per request, that
 * syscall was the largest cost the coordinator adds over a bare fastify proxy (bench/proxy.bench.ts
 * under --cpu-prof: 4–9 µs per request). Here the lines logged during one event-loop turn go out
 * together in one write at the end of the turn (or at once past MAX_PENDING_BYTES). `main.ts` calls
 * `flushSync` on exit, so a line logged before the process exits is never lost; only a SIGKILL can
 * lose the current turn's lines. Once the reader of the pipe is gone (EPIPE), every line is dropped.
 */
import { writeSync } from 'node:fs'
import { errorCode } from './error-code.js'

/** Pending bytes that trigger an immediate write, bounding memory under a burst. */
export const MAX_PENDING_BYTES = 64 * 1024

/** How long to wait, and how often, when the descriptor is a full non-blocking pipe (EAGAIN). */
const EAGAIN_WAIT_MS = 1
const EAGAIN_ATTEMPTS = 1_000

export class BatchedLogDestination {
  readonly #fd: number
  #pending = ''
  #isScheduled = false
  #isReaderGone = false
  readonly #flushScheduled = () => {
    this.#isScheduled = false
    this.flushSync()
  }

  /** @param fd the descriptor to write to: 1 for stdout. */
  constructor(fd: number) {
    this.#fd = fd
  }

  /** pino calls this with one complete line. */
  write(line: string): boolean {
    if (this.#isReaderGone) return true
    this.#pending += line
    if (this.#pending.length >= MAX_PENDING_BYTES) this.flushSync()
    else if (!this.#isScheduled) {
      this.#isScheduled = true
      setImmediate(this.#flushScheduled)
    }
    return true
  }

  /** Writes everything pending now. */
  flushSync(): void {
    if (this.#pending === '') return
    const bytes = Buffer.from(this.#pending, 'utf8')
    this.#pending = ''
    let offset = 0
    let attempts = 0
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset)
      } catch (error) {
        const code = errorCode(error)
        if (code === 'EPIPE') {
          // The reader is gone (`| head`, a log shipper restarting) and no later line can reach anyone:
          // drop them all and keep serving, as pino's own stdout destination does (filterBrokenPipe in
          // pino's lib/tools.js). Thrown, this error would kill the coordinator from setImmediate.
          this.#isReaderGone = true
          return
        }
        if (code !== 'EAGAIN' || ++attempts > EAGAIN_ATTEMPTS) throw error
        // A full non-blocking pipe: wait for the reader, as pino's own synchronous destination does.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, EAGAIN_WAIT_MS)
      }
    }
  }
}
