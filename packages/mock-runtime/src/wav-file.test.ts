import { describe, expect, it } from 'vitest'
import { silentWav, wavDurationS } from './wav-file.js'

/** A RIFF chunk: id, little-endian size, data, a pad byte after an odd size. */
function riffChunk(id: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.write(id, 0, 'ascii')
  head.writeUInt32LE(data.length, 4)
  return Buffer.concat([head, data, Buffer.alloc(data.length % 2)])
}

describe('wavDurationS', () => {
  it('divides the data size by the byte rate', () => {
    // 16 kHz mono 16-bit: 32 000 bytes a second.
    expect(wavDurationS(silentWav(1.5))).toBe(1.5)
    // 44.1 kHz: 88 200 bytes a second.
    expect(wavDurationS(silentWav(2, 44_100))).toBe(2)
  })

  it('skips other chunks, padded to an even size', () => {
    const wav = silentWav(0.5)
    const withList = Buffer.concat([
      wav.subarray(0, 12),
      riffChunk('LIST', Buffer.from('odd')),
      wav.subarray(12),
    ])
    expect(wavDurationS(withList)).toBe(0.5)
  })

  it('counts the bytes present when the data size runs past the file', () => {
    expect(wavDurationS(silentWav(1).subarray(0, 44 + 16_000))).toBe(0.5)
  })

  it('is undefined for what is not a WAV file', () => {
    expect(wavDurationS(Buffer.from('ID3\u0004 an mp3'))).toBeUndefined()
    expect(wavDurationS(Buffer.alloc(0))).toBeUndefined()
    const noFormat = silentWav(0.1)
    noFormat.write('junk', 12, 'ascii')
    expect(wavDurationS(noFormat)).toBeUndefined()
  })
})
