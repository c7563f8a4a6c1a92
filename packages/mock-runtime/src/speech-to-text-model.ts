/**
 * What vLLM's model class tells its speech-to-text API about a served model (the `SupportsTranscription`
 * interface in vllm/model_executor/models/interfaces.py): which answers it gives, how long an answer may
 * run, and what the request's prompt and audio count for in the usage. The mock knows a model only by its name, so a name with `whisper` in it is served as
 * `WhisperForConditionalGeneration` (vllm/model_executor/models/whisper.py); any other name gets the
 * interface's defaults.
 */
import { CONTEXT_LENGTH_TOKENS } from './model-catalog.js'
import { estimateTokenCount } from './output-length.js'

/** The model class's answers the speech-to-text API reads. */
export interface SpeechToTextModel {
  /** `supports_segment_timestamp`: answers `verbose_json`. */
  readonly supportsSegmentTimestamp: boolean
  /** `supports_diarized_transcription`: answers `diarized_json` (no model the mock plays does). */
  readonly supportsDiarizedTranscription: boolean
  /**
   * `max_model_len`, tokens: the serving layer caps `max_tokens` at it (`get_max_tokens`), and the
   * scheduler stops a request whose decoder prompt and output reach it.
   */
  readonly maxModelLenTokens: number
  /**
   * Tokens of the decoder prompt the model class builds from the request's text prompt
   * (`get_generation_prompt`): `len(res.prompt_token_ids)` in the stream generator.
   */
  decoderPromptTokens(requestPrompt: string): number
  /** `get_num_audio_tokens`: what the streamed usage adds for the clip; 0 where the class returns None. */
  audioTokens(durationS: number): number
}

/** Whisper's feature extractor (`WhisperFeatureExtractor` defaults, every Whisper checkpoint): Hz. */
const WHISPER_SAMPLE_RATE_HZ = 16_000
/** Samples between two log-mel frames (`hop_length`). */
const WHISPER_HOP_LENGTH = 160
/**
 * Whisper's decoder positions (`max_target_positions` in every Whisper config), which vLLM takes as
 * `max_model_len`.
 */
const WHISPER_MAX_TARGET_POSITIONS = 448
/** `<|startoftranscript|><|{language}|><|{task}|><|notimestamps|>`: one token each. */
const WHISPER_TASK_TOKENS = 4

/** vllm/model_executor/models/whisper.py, `WhisperForConditionalGeneration`. */
const WHISPER: SpeechToTextModel = {
  supportsSegmentTimestamp: true,
  supportsDiarizedTranscription: false,
  maxModelLenTokens: WHISPER_MAX_TARGET_POSITIONS,
  decoderPromptTokens(requestPrompt) {
    // `(f"<|prev|>{request_prompt}" if request_prompt else "") + "<|startoftranscript|>…"`; the mock
    // counts the prompt's own text as it counts any prompt (about four characters a token).
    const previous = requestPrompt === '' ? 0 : 1 + estimateTokenCount(requestPrompt)
    return previous + WHISPER_TASK_TOKENS
  },
  audioTokens(durationS) {
    // `math.ceil(audio_duration_s * stt_config.sample_rate / hop_length)`: the log-mel frames.
    return Math.ceil((durationS * WHISPER_SAMPLE_RATE_HZ) / WHISPER_HOP_LENGTH)
  },
}

/**
 * `SupportsTranscription`'s defaults: no segment timestamps or diarization, `get_num_audio_tokens`
 * returns None. The prompt such a model builds
 * (a chat template around the audio) is the model's own; the mock counts the request's prompt alone.
 */
const OTHER_MODEL: SpeechToTextModel = {
  supportsSegmentTimestamp: false,
  supportsDiarizedTranscription: false,
  maxModelLenTokens: CONTEXT_LENGTH_TOKENS,
  decoderPromptTokens: (requestPrompt) => estimateTokenCount(requestPrompt),
  audioTokens: () => 0,
}

/** The model class vLLM would serve `modelName` with. */
export function speechToTextModel(modelName: string): SpeechToTextModel {
  return /whisper/i.test(modelName) ? WHISPER : OTHER_MODEL
}
