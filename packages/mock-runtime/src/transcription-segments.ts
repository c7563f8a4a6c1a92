/**
 * The `segments` of a `verbose_json` answer, shaped as vLLM's `_get_verbose_segments`
 * (vllm/entrypoints/speech_to_text/base/serving.py) builds `TranscriptionSegment` and
 * `TranslationSegment` (transcription/protocol.py, translation/protocol.py). vLLM cuts Whisper's output
 * where the model wrote two timestamp tokens in a row; the mock, which has no model, cuts its tokens into
 * segments of equal length spread evenly over the clip. Whisper hears the clip in 30-second chunks
 * (`max_audio_clip_s`; vLLM splits longer audio at its quietest point near each 30 s, the mock at 30 s):
 * each chunk's segments are numbered from 0 again, carry the chunk's start as `seek`, and timestamps in
 * Whisper's 20 ms steps from there.
 */
import { deflateSync } from 'node:zlib'

/** One segment, its fields in the protocol's order. */
export interface TranscriptionSegment {
  readonly id: number
  readonly avg_logprob: number
  readonly compression_ratio: number
  readonly end: number
  readonly no_speech_prob: null
  readonly seek: number
  readonly start: number
  readonly temperature: number
  readonly text: string
  readonly tokens: readonly number[]
}

/** One generated token: its text and its id. */
export interface SegmentToken {
  readonly text: string
  readonly id: number
}

/** Whisper's audio chunk, seconds (`WhisperFeatureExtractor.chunk_length`). */
const CHUNK_S = 30
/** Seconds per timestamp token (`BASE_OFFSET`: `<|0.00|>`, `<|0.02|>`, …). */
const TIMESTAMP_STEP_S = 0.02
/** Tokens per segment: about a sentence, where Whisper would write its next pair of timestamps. */
const SEGMENT_TOKENS = 12
/** The mock samples no log probabilities: every segment reports this average. */
const MOCK_AVG_LOGPROB = -0.25

/** The segments of `tokens` over a clip of `durationS`, generated at `temperature`. */
export function transcriptionSegments(
  tokens: readonly SegmentToken[],
  durationS: number,
  temperature: number,
): TranscriptionSegment[] {
  const chunks = Math.max(1, Math.ceil(durationS / CHUNK_S))
  const segments: TranscriptionSegment[] = []
  for (let chunk = 0; chunk < chunks; chunk++) {
    const chunkStartS = chunk * CHUNK_S
    const chunkS = Math.min(CHUNK_S, durationS - chunkStartS)
    // Each chunk gets the tokens of its share of the clip.
    const share = (atS: number) => (durationS > 0 ? Math.round((tokens.length * atS) / durationS) : 0)
    const chunkTokens = tokens.slice(
      share(chunkStartS),
      chunk === chunks - 1 ? undefined : share(chunkStartS + chunkS),
    )
    const count = Math.ceil(chunkTokens.length / SEGMENT_TOKENS)
    for (let id = 0; id < count; id++) {
      const segmentTokens = chunkTokens.slice(id * SEGMENT_TOKENS, (id + 1) * SEGMENT_TOKENS)
      const text = segmentTokens.map((token) => token.text).join('')
      segments.push({
        id,
        avg_logprob: MOCK_AVG_LOGPROB,
        compression_ratio: compressionRatio(text),
        end: timestampS(chunkStartS, ((id + 1) * chunkS) / count),
        no_speech_prob: null,
        seek: Math.trunc(chunkStartS),
        start: timestampS(chunkStartS, (id * chunkS) / count),
        temperature,
        text,
        tokens: segmentTokens.map((token) => token.id),
      })
    }
  }
  return segments
}

/** `start_time + BASE_OFFSET * timestamp`: the nearest timestamp token's time within the chunk. */
function timestampS(chunkStartS: number, offsetS: number): number {
  return chunkStartS + TIMESTAMP_STEP_S * Math.round(offsetS / TIMESTAMP_STEP_S)
}

/**
 * `len(text_bytes) / len(zlib.compress(text_bytes))`, deflated at zlib's default level as Python's is;
 * zlib builds differ by a few bytes (Node bundles its own), so the ratio may differ in its second digit.
 */
function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8')
  return bytes.length / deflateSync(bytes).length
}
