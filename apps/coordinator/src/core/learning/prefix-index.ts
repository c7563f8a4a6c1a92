/**
 * Prefix-cache affinity: which nodes computed a prompt's leading bytes recently, so a conversation
 * returns to the node whose KV cache still holds its context.
 *
 * A prompt is cut into fixed blocks of `PREFIX_BLOCK_BYTES` of the request body as sent; block i's hash
 * chains over blocks 0…i, so equal hashes at i mean equal bodies up to the end of block i. The next
 * turn of a chat resends the previous turn's body and appends to `messages`, so its chain matches the
 * previous one up to the block before the old body's closing bytes. A served request records its last
 * two blocks (where the next turn will match) and blocks 2^k − 1 (a system prompt shared by many
 * conversations); a lookup walks the new prompt's chain from its end and stops at the first recorded
 * blocks. Hashing is one pass over the body per request, never per candidate.
 *
 * Memory is bounded by `maxEntries`, whatever the node or session count: one entry is a Map slot
 * (~40 B, keys are 30-bit small integers, never boxed) plus 32 B of typed-array row (two nodes, each
 * a slot, its generation and a time), about 72 B. At the default 2^20 entries that is at most ~75 MB;
 * 100 000 sessions of 16 k-token context need about 10 live entries each, so the million most recent
 * checkpoints (all of them at that count, in practice) stay. The oldest entry goes first when full.
 */

/** Bytes per block: ~64 tokens of English JSON. Smaller blocks match more exactly but cost more entries. */
export const PREFIX_BLOCK_BYTES = 256
/** Blocks a lookup walks back at most (a 512 KiB prompt); beyond, the head of a huge prompt is skipped. */
const MAX_WALK = 2_048
/** Nodes remembered per block: the latest two that computed it. */
const WAYS = 2
/** Nodes a lookup reports at most (the rest rank as uncached). */
export const MAX_PREFIX_HITS = 4

/**
 * Chain hashes of the full blocks of `bytes`, 30-bit so V8 keeps them as small integers. One pass of
 * 32-bit reads; the tail shorter than a block is not hashed (nothing after it can match anyway).
 */
export function prefixBlockHashes(bytes: Uint8Array, blockBytes = PREFIX_BLOCK_BYTES): Int32Array {
  const blocks = Math.floor(bytes.length / blockBytes)
  const hashes = new Int32Array(blocks)
  if (blocks === 0) return hashes
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes.subarray(0, blocks * blockBytes))
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, (blocks * blockBytes) >>> 2)
  const wordsPerBlock = blockBytes >>> 2
  let hash = 0x811c9dc5 | 0
  for (let block = 0; block < blocks; block++) {
    const end = (block + 1) * wordsPerBlock
    for (let i = block * wordsPerBlock; i < end; i++) {
      hash = Math.imul(hash ^ (words[i] as number), 0x01000193)
      hash ^= hash >>> 15
    }
    hashes[block] = (hash ^ Math.imul(block, 0x9e3779b1)) & 0x3fffffff
  }
  return hashes
}

/** What one lookup found: up to `MAX_PREFIX_HITS` slots, each with its longest matching prefix in blocks. */
export class PrefixHits {
  readonly slots = new Int32Array(MAX_PREFIX_HITS)
  readonly blocks = new Int32Array(MAX_PREFIX_HITS)
  count = 0
  /** The same by slot (0: no hit), so a decision reads one array cell per candidate. */
  bySlot = new Int32Array(0)

  clone(): PrefixHits {
    const copy = new PrefixHits()
    copy.slots.set(this.slots)
    copy.blocks.set(this.blocks)
    copy.count = this.count
    copy.bySlot = this.bySlot.slice()
    return copy
  }

  /** Matching blocks on `slot`, 0 when none. */
  blocksOn(slot: number): number {
    return slot < this.bySlot.length ? (this.bySlot[slot] as number) : 0
  }

  /** Forgets every hit. */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.bySlot[this.slots[i] as number] = 0
    this.count = 0
  }

  add(slot: number, blocks: number): void {
    if (slot >= this.bySlot.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.bySlot.length * 2, 64))
      grown.set(this.bySlot)
      this.bySlot = grown
    }
    this.slots[this.count] = slot
    this.blocks[this.count] = blocks
    this.bySlot[slot] = blocks
    this.count++
  }

  /** The deepest match (blocks) over every node. */
  deepest(): number {
    let deepest = 0
    for (let i = 0; i < this.count; i++) deepest = Math.max(deepest, this.blocks[i] as number)
    return deepest
  }
}

export interface PrefixIndexOptions {
  /** Most block entries held (`PREFIX_INDEX_MAX_ENTRIES`). */
  readonly maxEntries: number
  /** A node's cached blocks count for this long after it computed them (`PREFIX_CACHE_TTL_MS`). */
  readonly ttlMs: number
}

export class PrefixIndex {
  readonly maxEntries: number
  readonly ttlMs: number
  /** Block hash → row; insertion order is recency order (re-recorded entries move to the end). */
  readonly #rows = new Map<number, number>()
  #slot = new Int32Array(0)
  #generation = new Int32Array(0)
  #atMs = new Float64Array(0)
  #nextRow = 0
  /** Bumped when a node leaves, so entries naming its slot stop counting. */
  #slotGeneration = new Int32Array(64)

  constructor(options: PrefixIndexOptions) {
    if (!(options.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1')
    this.maxEntries = Math.floor(options.maxEntries)
    this.ttlMs = options.ttlMs
  }

  get size(): number {
    return this.#rows.size
  }

  /** The node on `slot` left: its entries no longer count (they age out of the index like any other). */
  forgetSlot(slot: number): void {
    this.#ensureSlot(slot)
    this.#slotGeneration[slot] = ((this.#slotGeneration[slot] as number) + 1) | 0
  }

  /** `slot` computed the prompt `hashes` at `now`: records its last two blocks and blocks 2^k − 1. */
  record(hashes: Int32Array, slot: number, now: number): void {
    const count = hashes.length
    if (count === 0) return
    this.#ensureSlot(slot)
    for (let k = 1; k <= count; k *= 2) this.#recordBlock(hashes[k - 1] as number, slot, now)
    if (count >= 2) this.#recordBlock(hashes[count - 2] as number, slot, now)
    this.#recordBlock(hashes[count - 1] as number, slot, now)
  }

  /** Fills `hits` with the nodes holding the longest recorded prefixes of `hashes`, fresh at `now`. */
  lookup(hashes: Int32Array, now: number, hits: PrefixHits): void {
    hits.clear()
    const rows = this.#rows
    if (rows.size === 0) return
    const stop = Math.max(0, hashes.length - MAX_WALK)
    for (let block = hashes.length - 1; block >= stop && hits.count < MAX_PREFIX_HITS; block--) {
      const row = rows.get(hashes[block] as number)
      if (row === undefined) continue
      for (let way = 0; way < WAYS; way++) this.#addHit(row * WAYS + way, block + 1, now, hits)
    }
  }

  #addHit(cell: number, blocks: number, now: number, hits: PrefixHits): void {
    const slot = this.#slot[cell] as number
    if (slot < 0 || now - (this.#atMs[cell] as number) > this.ttlMs) return
    if (this.#generation[cell] !== this.#slotGeneration[slot]) return
    for (let i = 0; i < hits.count; i++) if (hits.slots[i] === slot) return
    if (hits.count >= MAX_PREFIX_HITS) return
    hits.add(slot, blocks)
  }

  #recordBlock(hash: number, slot: number, now: number): void {
    const rows = this.#rows
    let row = rows.get(hash)
    if (row === undefined) {
      row = this.#takeRow()
      for (let way = 0; way < WAYS; way++) this.#slot[row * WAYS + way] = -1
    } else rows.delete(hash)
    rows.set(hash, row)
    const generation = this.#slotGeneration[slot] as number
    // The same node again refreshes its way; otherwise an empty or departed node's way, else the older.
    let target = -1
    let targetAge = Number.POSITIVE_INFINITY
    for (let way = 0; way < WAYS; way++) {
      const cell = row * WAYS + way
      const held = this.#slot[cell] as number
      if (held === slot && this.#generation[cell] === generation) {
        target = cell
        break
      }
      const isVacant = held < 0 || this.#generation[cell] !== this.#slotGeneration[held]
      const age = isVacant ? Number.NEGATIVE_INFINITY : (this.#atMs[cell] as number)
      if (age < targetAge) {
        target = cell
        targetAge = age
      }
    }
    this.#slot[target] = slot
    this.#generation[target] = generation
    this.#atMs[target] = now
  }

  #takeRow(): number {
    if (this.#rows.size >= this.maxEntries) {
      const oldest = this.#rows.entries().next().value as [number, number]
      this.#rows.delete(oldest[0])
      return oldest[1]
    }
    const row = this.#nextRow++
    if (row * WAYS >= this.#slot.length) this.#growRows(Math.min(this.maxEntries, Math.max(64, row * 2)))
    return row
  }

  #growRows(rows: number): void {
    const cells = rows * WAYS
    const slot = new Int32Array(cells)
    slot.set(this.#slot)
    const generation = new Int32Array(cells)
    generation.set(this.#generation)
    const atMs = new Float64Array(cells)
    atMs.set(this.#atMs)
    this.#slot = slot
    this.#generation = generation
    this.#atMs = atMs
  }

  #ensureSlot(slot: number): void {
    if (slot < this.#slotGeneration.length) return
    const grown = new Int32Array(Math.max(slot + 1, this.#slotGeneration.length * 2))
    grown.set(this.#slotGeneration)
    this.#slotGeneration = grown
  }
}
