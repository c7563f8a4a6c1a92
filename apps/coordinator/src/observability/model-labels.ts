/**
 * ModelLabels: the `model` label values of the request metrics. Clients can send any string as the
 * model, and each distinct label value is a new time series, so only models that a node serves become
 * label values (the node that answered lists it), at most `max` of them over the process's life, and
 * every other model counts as `other`.
 */

/** The label value of a model no node serves, or one beyond the cap. */
export const OTHER_MODEL = 'other'

export class ModelLabels {
  readonly #max: number
  readonly #admitted = new Set<string>()

  /** @param max most distinct model label values; later models count as `other`. */
  constructor(max: number) {
    this.#max = max
  }

  /**
   * The label for `model`: itself once admitted; admitted now when `servedBy` (the answering node's
   * models) lists it and there is room; otherwise `other`.
   */
  labelOf(model: string, servedBy: Pick<ReadonlySet<string>, 'has'> | null): string {
    if (this.#admitted.has(model)) return model
    if (servedBy === null || !servedBy.has(model) || this.#admitted.size >= this.#max) return OTHER_MODEL
    this.#admitted.add(model)
    return model
  }
}
