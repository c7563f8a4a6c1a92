/**
 * Bounds on every wire field. A coordinator holds thousands of nodes in memory, so no field may be
 * unbounded: these caps keep one registration or metrics push to a few kilobytes at most.
 */

/** Longest model name accepted (Ollama tags such as `hf.co/org/repo:Q4_K_M` stay far below it). */
export const MAX_MODEL_NAME_LENGTH = 256
/** Most models one runtime may list. */
export const MAX_MODELS = 1024
/** Most GPUs in one host (an HGX has 8; MIG can expose up to 7 instances per GPU). */
export const MAX_GPUS = 64
/** Longest free-text field (GPU and CPU model names, versions). */
export const MAX_TEXT_LENGTH = 256
/** Longest hostname (RFC 1035). */
export const MAX_HOSTNAME_LENGTH = 253
/** Longest URL. */
export const MAX_URL_LENGTH = 2048
/** Longest agent id. */
export const MAX_AGENT_ID_LENGTH = 128
/** Most labels on a node, and the longest label key and value. */
export const MAX_LABELS = 64
export const MAX_LABEL_KEY_LENGTH = 63
export const MAX_LABEL_VALUE_LENGTH = 256
/**
 * Highest compute score a host may register: 64 GPUs at the table's top score per GPU stay far below
 * it. A score past it is a broken agent, and would set the balancer's per-point speeds for everyone.
 */
export const MAX_COMPUTE_SCORE = 1_000_000
/** Highest in-flight capacity a runtime may declare. */
export const MAX_CONCURRENCY = 100_000
/** Longest model digest (`sha256:` and 64 hex digits, with room for other algorithms). */
export const MAX_DIGEST_LENGTH = 160
/** Most families one model lists (Ollama `details.families`: `llama`, `clip`). */
export const MAX_MODEL_FAMILIES = 16
/** Most models resident at once on one runtime (Ollama `OLLAMA_MAX_LOADED_MODELS` is 3 per GPU). */
export const MAX_LOADED_MODELS = 64
/** Longest runtime API key (vLLM `--api-key`, llama-server `--api-key`) an agent may register. */
export const MAX_RUNTIME_API_KEY_LENGTH = 1024
