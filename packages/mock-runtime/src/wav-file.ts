/**
 * WAV files, the one audio format the mock reads: an upload's length from its RIFF header alone (the
 * mock decodes no audio, but `usage.seconds` and a client's test want the clip's real length), and a
 * silent clip for clients to send.
 */

/** Bytes of a canonical PCM WAV header: RIFF (12), `fmt ` (8 + 16), `data` (8). */
const HEADER_BYTES = 44

/** Reads a four-character RIFF chunk id at `offset`. */
const chunkId = (view: DataView, offset: number): string =>
  String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  )

/**
 * Seconds of audio in a WAV file (RIFF/WAVE): the `data` chunk's size over the `fmt ` chunk's byte
 * rate. Undefined for anything else (no RIFF/WAVE header, no `fmt ` before `data`, a zero byte rate).
 * A `data` size past the end of the file (a recorder that never patched it) counts the bytes present.
 */
export function wavDurationS(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 12 || chunkId(view, 0) !== 'RIFF' || chunkId(view, 8) !== 'WAVE') return undefined
  let byteRate = 0
  let offset = 12
  while (offset + 8 <= bytes.length) {
    const id = chunkId(view, offset)
    const size = view.getUint32(offset + 4, true)
    const start = offset + 8
    // fmt: format (2), channels (2), sample rate (4), byte rate (4), …
    if (id === 'fmt ' && size >= 12 && start + 12 <= bytes.length) byteRate = view.getUint32(start + 8, true)
    if (id === 'data') {
      if (byteRate === 0) return undefined
      return Math.min(size, bytes.length - start) / byteRate
    }
    // Chunks are padded to an even size.
    offset = start + size + (size % 2)
  }
  return undefined
}

/**
 * A silent 16-bit mono PCM WAV clip of `durationS` seconds: what a client test uploads to a mock
 * (Whisper models take 16 kHz audio, the default).
 * @example await client.audio.transcriptions.create({ file: await toFile(silentWav(1), 'a.wav'), model })
 */
export function silentWav(durationS: number, sampleRateHz = 16_000): Buffer {
  const dataBytes = Math.round(durationS * sampleRateHz) * 2
  const wav = Buffer.alloc(HEADER_BYTES + dataBytes)
  wav.write('RIFF', 0, 'ascii')
  wav.writeUInt32LE(wav.length - 8, 4)
  wav.write('WAVE', 8, 'ascii')
  wav.write('fmt ', 12, 'ascii')
  wav.writeUInt32LE(16, 16)
  wav.writeUInt16LE(1, 20) // PCM
  wav.writeUInt16LE(1, 22) // mono
  wav.writeUInt32LE(sampleRateHz, 24)
  wav.writeUInt32LE(sampleRateHz * 2, 28) // byte rate
  wav.writeUInt16LE(2, 32) // block align
  wav.writeUInt16LE(16, 34) // bits per sample
  wav.write('data', 36, 'ascii')
  wav.writeUInt32LE(dataBytes, 40)
  return wav
}
