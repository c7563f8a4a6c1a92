/**
 * ModelVerdicts: what `select` remembers of its model filter between calls. The filter's cost is one
 * hash lookup per node (`modelKeys.has`), more than every other filter together; but the registry's
 * snapshots keep each node at the same position and share one immutable Set per distinct model list,
 * so the verdict at a position only changes when the Set there does. A table per model keeps, for
 * each position, the Set last seen there and whether it holds the model under each runtime's
 * matching, and the filter compares one pointer instead of hashing.
 */
import { ollamaModelKey } from '../model-name.js'

/** Models remembered at once; more evict the oldest (a fleet serving more only re-checks more often). */
const MAX_MODELS = 16

/** `VerdictTable.serves` bits: the Set holds the model's exact name, or its Ollama normal form. */
export const SERVES_EXACT = 1
export const SERVES_OLLAMA = 2

/** Verdicts for one model, by position in the nodes array. */
export interface VerdictTable {
  /** The key Ollama nodes are matched by: `ollamaModelKey(model)`, or the request's own. */
  ollamaKey: string
  /** The Set last seen at each position; null where none was yet. */
  readonly sets: (ReadonlySet<string> | null)[]
  /** SERVES_EXACT | SERVES_OLLAMA for the Set at the same position. */
  serves: Uint8Array
}

export class ModelVerdicts {
  readonly #tables = new Map<string, VerdictTable>()

  /**
   * The table for `model`, covering at least `count` positions. A request whose Ollama key differs
   * from the table's (a caller that normalised differently) starts the table over, so a verdict is
   * always the one a lookup would give.
   */
  tableFor(model: string, ollamaKey: string | undefined, count: number): VerdictTable {
    const table = this.#tables.get(model) ?? this.#added(model)
    const key = ollamaKey ?? ollamaModelKey(model)
    if (key !== table.ollamaKey) {
      table.ollamaKey = key
      table.sets.fill(null)
    }
    if (table.sets.length < count) grow(table, count)
    return table
  }

  /** A table for `model`, reusing the oldest one's arrays once `MAX_MODELS` are held. */
  #added(model: string): VerdictTable {
    let table: VerdictTable
    const oldest = this.#tables.size >= MAX_MODELS ? this.#tables.keys().next() : null
    if (oldest === null || oldest.done === true)
      table = { ollamaKey: '', sets: [], serves: new Uint8Array(0) }
    else {
      table = this.#tables.get(oldest.value) as VerdictTable
      this.#tables.delete(oldest.value)
      table.sets.fill(null)
    }
    // The key is set by `tableFor`: '' matches no Ollama key, so the first call fills it in.
    table.ollamaKey = ''
    this.#tables.set(model, table)
    return table
  }
}

function grow(table: VerdictTable, count: number): void {
  const sets = table.sets
  while (sets.length < count) sets.push(null)
  const serves = new Uint8Array(count)
  serves.set(table.serves)
  table.serves = serves
}

/** Which of the two matchings `models` serves, as `VerdictTable.serves` bits. */
export function servesBits(models: ReadonlySet<string>, model: string, ollamaKey: string): number {
  return (models.has(model) ? SERVES_EXACT : 0) | (models.has(ollamaKey) ? SERVES_OLLAMA : 0)
}
