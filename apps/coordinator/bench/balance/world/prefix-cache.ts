/**
 * A unit's KV prefix cache: blocks of BLOCK_TOKENS tokens identified by chain ids (a block's id
 * depends on every block before it and on the model, as in vLLM's prefix caching), one LRU order and
 * one byte budget for all models (the VRAM the resident models leave free). A hit is the longest run
 * of leading blocks present; a model's blocks go when the model is unloaded.
 */

export class PrefixCache {
  /** Block id → its model, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<number, string>()
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
  match(model: string, blocks: ArrayLike<number>): number {
    const lru = this.lru
    let hits = 0
    while (hits < blocks.length && lru.get(blocks[hits] as number) === model) hits++
    for (let i = 0; i < hits; i++) {
      const id = blocks[i] as number
      lru.delete(id)
      lru.set(id, model)
    }
    return hits
  }

  /**
   * Stores the blocks not held yet as most recently used, evicting the least recently used to stay
   * in budget. Blocks already held keep their place (the request that computed them touched them).
   */
  insert(model: string, blocks: ArrayLike<number>): void {
    const blockBytes = this.blockBytesOf(model)
    const lru = this.lru
    for (let i = 0; i < blocks.length; i++) {
      const id = blocks[i] as number
      if (lru.has(id)) continue
      lru.set(id, model)
      this.usedBytes += blockBytes
    }
    this.evictToFit()
  }

  /** The model was unloaded: its KV is gone. */
  dropModel(model: string): void {
    const blockBytes = this.blockBytesOf(model)
    for (const [id, owner] of this.lru) {
      if (owner !== model) continue
      this.lru.delete(id)
      this.usedBytes -= blockBytes
    }
  }

  resize(capacityBytes: number): void {
    this.capacityBytes = Math.max(0, capacityBytes)
    this.evictToFit()
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
