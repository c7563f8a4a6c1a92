/** @llm-fleet/mock-runtime: a simulated LLM runtime, its GPU profiles, and the pure batching model. */
export { EMBEDDING_DIMENSIONS } from './embedding.js'
export { FAULT_MODES, type FaultMode, FaultSettings } from './fault-state.js'
export {
  INSTANCE_HEADER,
  type MockRuntime,
  type MockRuntimeOptions,
  startMockRuntime,
} from './mock-runtime.js'
export { describeModel } from './model-catalog.js'
export {
  estimateTokenCount,
  hashString,
  MAX_DEFAULT_OUTPUT_TOKENS,
  MEAN_OUTPUT_TOKENS,
  outputLengthTokens,
  seededRandom,
  tokenText,
} from './output-length.js'
export { PREFIX_BLOCK_TOKENS, PrefixCache } from './prefix-cache.js'
export { GPU_PROFILES, type GpuProfile, isProfileId, PROFILE_IDS, type ProfileId } from './profiles.js'
export { type PrefixCacheSettings, prefillMs } from './prompt-gate.js'
export { RUNTIME_KINDS, type RuntimeKind } from './runtime-context.js'
export type { PromptTotals, RuntimeStats } from './runtime-stats.js'
export { SERVER_FLAVORS, type ServerFlavor } from './server-flavor.js'
export {
  admit,
  aggregateTokensPerS,
  decodingCount,
  estimateCompletionMs,
  perRequestTokensPerS,
  scaleProfile,
  splitInFlight,
} from './speed-model.js'
export { silentWav, wavDurationS } from './wav-file.js'
