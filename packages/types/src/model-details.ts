/**
 * What a runtime says about its models beyond their names, as Ollama's `/api/tags` and `/api/ps` report
 * it (size, digest, family, quantization, what is loaded and until when). UIs such as Open WebUI show
 * these fields; the coordinator answers `/api/tags` and `/api/ps` from them. Every field is bounded.
 */
import { z } from 'zod'
import { MAX_DIGEST_LENGTH, MAX_LOADED_MODELS, MAX_MODEL_FAMILIES, MAX_MODELS } from './limits.js'
import { Count, ModelName, Text } from './primitives.js'

/** Ollama's `details` object, camel-cased; empty strings where the runtime leaves a field out. */
export const ModelFacts = z.strictObject({
  parentModel: Text,
  /** `gguf`, `safetensors`. */
  format: Text,
  /** `llama`, `qwen2`. */
  family: Text,
  families: z.array(Text).max(MAX_MODEL_FAMILIES),
  /** `8.0B`. */
  parameterSize: Text,
  /** `Q4_K_M`. */
  quantizationLevel: Text,
})
export type ModelFacts = z.infer<typeof ModelFacts>

/** One model as the runtime stores it (`/api/tags`). */
export const ModelDetail = z.strictObject({
  name: ModelName,
  sizeBytes: Count,
  /** The manifest digest (64 hex digits on Ollama); `ollama list` shows its first 12 characters. */
  digest: z.string().max(MAX_DIGEST_LENGTH),
  /** When the model was pulled or created (ISO 8601), or null where the runtime does not say. */
  modifiedAt: z.iso.datetime({ offset: true }).nullable(),
  details: ModelFacts,
})
export type ModelDetail = z.infer<typeof ModelDetail>

export const ModelDetailList = z.array(ModelDetail).max(MAX_MODELS)

/** One model resident in memory now (`/api/ps`). */
export const LoadedModel = z.strictObject({
  name: ModelName,
  sizeBytes: Count,
  /** The part of `sizeBytes` in GPU memory. */
  sizeVramBytes: Count,
  /** When the runtime unloads it if unused (ISO 8601), or null where it does not say. */
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
})
export type LoadedModel = z.infer<typeof LoadedModel>

export const LoadedModelList = z.array(LoadedModel).max(MAX_LOADED_MODELS)
