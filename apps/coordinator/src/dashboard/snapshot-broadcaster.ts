/**
 * SnapshotBroadcaster: the dashboard's server-sent event streams. One timer for all of them, running
 * only while one is open; each tick renders the snapshot once and writes it to every stream. A stream
 * that cannot keep up (its socket buffer is full) skips ticks until it drains, so a slow phone never
 * makes the coordinator buffer snapshots for it.
 */
import type { ServerResponse } from 'node:http'

export interface SnapshotBroadcasterOptions {
  /** Time between two snapshots. */
  readonly intervalMs: number
  /** The snapshot as one JSON text. */
  readonly render: () => string
  /** Most streams open at once. */
  readonly maxStreams: number
}

interface Stream {
  readonly response: ServerResponse
  isWaitingForDrain: boolean
}

/** How long a browser waits before reconnecting after the stream ends (the SSE `retry` field). */
const RECONNECT_MS = 2_000

export class SnapshotBroadcaster {
  readonly #options: SnapshotBroadcasterOptions
  readonly #streams = new Set<Stream>()
  #timer: NodeJS.Timeout | undefined
  #isClosed = false

  constructor(options: SnapshotBroadcasterOptions) {
    this.#options = options
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size
  }

  /**
   * Turns `response` into an event stream: headers, then a snapshot at once and on every tick until
   * the client leaves or `closeAll` runs. False (nothing written) when `maxStreams` are open or after
   * `closeAll`.
   */
  add(response: ServerResponse): boolean {
    if (this.#isClosed || this.#streams.size >= this.#options.maxStreams) return false
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // Ends the socket with the stream, so that closing the app leaves no connection behind.
      connection: 'close',
      'x-accel-buffering': 'no',
    })
    const stream: Stream = { response, isWaitingForDrain: false }
    this.#streams.add(stream)
    response.on('drain', () => {
      stream.isWaitingForDrain = false
    })
    response.once('close', () => {
      this.#streams.delete(stream)
      if (this.#streams.size === 0) this.#stopTimer()
    })
    this.#write(stream, `retry: ${RECONNECT_MS}\n${event(this.#options.render())}`)
    this.#timer ??= setInterval(() => this.#tick(), this.#options.intervalMs)
    return true
  }

  /** Ends every stream and refuses new ones (the app is closing). */
  closeAll(): void {
    this.#isClosed = true
    this.#stopTimer()
    for (const stream of this.#streams) stream.response.end()
    this.#streams.clear()
  }

  #tick(): void {
    const message = event(this.#options.render())
    for (const stream of this.#streams) {
      if (!stream.isWaitingForDrain) this.#write(stream, message)
    }
  }

  #write(stream: Stream, text: string): void {
    if (!stream.response.write(text)) stream.isWaitingForDrain = true
  }

  #stopTimer(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** One SSE message; JSON has no raw newlines, so one `data:` line holds it. */
function event(json: string): string {
  return `data: ${json}\n\n`
}
