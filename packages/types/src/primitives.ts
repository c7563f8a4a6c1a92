/** Reusable field schemas: every number finite, every string and array bounded. */
import { z } from 'zod'
import { MAX_MODEL_NAME_LENGTH, MAX_MODELS, MAX_TEXT_LENGTH } from './limits.js'

/** A percentage in [0, 100]. zod 4's `z.number()` already rejects NaN and ±Infinity. */
export const Percent = z.number().min(0).max(100)

/** A count: a non-negative safe integer. */
export const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

/** A non-negative finite measurement (milliseconds, watts, MiB). */
export const NonNegative = z.number().min(0).max(Number.MAX_SAFE_INTEGER)

/** Bounded free text (model names of GPUs and CPUs, versions). */
export const Text = z.string().max(MAX_TEXT_LENGTH)

/** A model name as the runtime reports it (`llama3.1:8b`, `meta-llama/Llama-3.1-8B-Instruct`). */
export const ModelName = z.string().min(1).max(MAX_MODEL_NAME_LENGTH)

/** A bounded list of model names. */
export const ModelList = z.array(ModelName).max(MAX_MODELS)

/**
 * A secret sent as `Authorization: Bearer <token>` (AGENT_TOKEN, API_KEYS, a runtime's key): printable
 * ASCII without spaces, as an HTTP header carries it and as the coordinator reads it (`Bearer +(\S+)`).
 */
export const BearerToken = z
  .string()
  .min(1)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent in an Authorization header)')
