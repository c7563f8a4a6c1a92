/**
 * A mock runtime's KV prefix cache, the same model as the balancing simulation's hosts
 * (apps/coordinator/bench/balance/world/prefix-cache.ts): prompts cut into blocks of
 * PREFIX_BLOCK_TOKENS tokens, each block named by a chain hash (its id depends on the model and on every
 * block before it, as vLLM's prefix caching hashes `(parent hash, block tokens)`), one LRU order and one
 * byte budget for all models: the VRAM the resident models leave free. A hit is the longest run of
 * leading blocks present; a model's blocks go when the model is unloaded.
 *
 * Text → blocks: the mock has no tokenizer; a token is CHARS_PER_TOKEN characters (what
 * `estimateTokenCount` assumes), so block j is characters [j·256, (j+1)·256) of the rendered prompt and
 * only full blocks are cached. Two prompts that share their first n·256 characters share n blocks, just
 * as two simulated prompts that share n leading content ids do.
 */
import { createHash } from 'node:crypto'

/** Tokens per cached block: the simulation's BLOCK_TOKENS (and vLLM's default block size × 4). */
export const PREFIX_BLOCK_TOKENS = 64
/** Characters per token, as `estimateTokenCount` counts them. */
export const CHARS_PER_TOKEN = 4
const BLOCK_CHARS = PREFIX_BLOCK_TOKENS * CHARS_PER_TOKEN

/** Chain ids of the full blocks of `text` for `model`. */
export function promptBlockIds(model: string, text: string): string[] {
  const ids: string[] = []
  let parent = model
  for (let at = 0; at + BLOCK_CHARS <= text.length; at += BLOCK_CHARS) {
    parent = createHash('sha1')
      .update(parent)
      .update('\u0000')
      .update(text.slice(at, at + BLOCK_CHARS))
      .digest('base64')
    ids.push(parent)
  }
  return ids
}

/**
 * A KV prefix cache: blocks identified by chain ids (a block's id depends on every block before it
 * and on the model, as in vLLM's prefix caching), one LRU order and one byte budget for all models
 * (the VRAM the resident models leave free). A hit is the longest run of leading blocks present; a
 * model's blocks go when the model is unloaded. The ids are this runtime's strings or, in the
 * balancing simulation (apps/coordinator/bench/balance/world/host.ts), numbers.
 */
export class PrefixCache<BlockId extends string | number = string> {
  /** Block id → its model, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<BlockId, string>()
  private usedBytes = 0
  private capacityBytes: number

  constructor(
    capacityBytes: number,
    private readonly blockBytesOf: (model: string) => number,
  ) {
    this.capacityBytes = Math.max(0, capacityBytes)
  }

  get bytes(): number {
    return this.usedBytes
  }

  get capacity(): number {
    return this.capacityBytes
  }

  /** Leading blocks of `blocks` held for `model`; touches them (they become most recently used). */
  match(model: string, blocks: ArrayLike<BlockId>): number {
    const lru = this.lru
    let hits = 0
    while (hits < blocks.length && lru.get(blocks[hits] as BlockId) === model) hits++
    for (let i = 0; i < hits; i++) {
      const id = blocks[i] as BlockId
      lru.delete(id)
      lru.set(id, model)
    }
    return hits
  }

  /**
   * Stores the blocks not held yet as most recently used, evicting the least recently used to stay
   * in budget. Blocks already held keep their place (the request that computed them touched them).
   */
  insert(model: string, blocks: ArrayLike<BlockId>): void {
    const blockBytes = this.blockBytesOf(model)
    const lru = this.lru
    for (let i = 0; i < blocks.length; i++) {
      const id = blocks[i] as BlockId
      if (lru.has(id)) continue
      lru.set(id, model)
      this.usedBytes += blockBytes
    }
    this.evictToFit()
  }

  /** The model was unloaded: its KV is gone. */
  dropModel(model: string): void {
    this.retainWhere((owner) => owner !== model)
  }

  /** Drops the blocks of every model not in `loaded` (their KV went with the runner). */
  retainModels(loaded: ReadonlySet<string>): void {
    this.retainWhere((owner) => loaded.has(owner))
  }

  resize(capacityBytes: number): void {
    this.capacityBytes = Math.max(0, capacityBytes)
    this.evictToFit()
  }

  private retainWhere(keep: (owner: string) => boolean): void {
    for (const [id, owner] of this.lru) {
      if (keep(owner)) continue
      this.lru.delete(id)
      this.usedBytes -= this.blockBytesOf(owner)
    }
  }

  private evictToFit(): void {
    const lru = this.lru
    while (this.usedBytes > this.capacityBytes) {
      const oldest = lru.entries().next()
      if (oldest.done === true) return
      lru.delete(oldest.value[0])
      this.usedBytes -= this.blockBytesOf(oldest.value[1])
    }
  }
}
