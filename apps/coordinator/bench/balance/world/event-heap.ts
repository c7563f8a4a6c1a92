/**
 * A binary min-heap of timed events: O(log n) push and pop. Ties break on insertion order, so a
 * seeded run replays identically whatever the heap's internal layout.
 */
export interface TimedEvent<T> {
  readonly atMs: number
  readonly seq: number
  readonly payload: T
}

export class EventHeap<T> {
  private readonly items: TimedEvent<T>[] = []
  private nextSeq = 0

  get size(): number {
    return this.items.length
  }

  push(atMs: number, payload: T): void {
    const items = this.items
    items.push({ atMs, seq: this.nextSeq++, payload })
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(items[index] as TimedEvent<T>, items[parent] as TimedEvent<T>)) break
      swap(items, index, parent)
      index = parent
    }
  }

  peek(): TimedEvent<T> | undefined {
    return this.items[0]
  }

  pop(): TimedEvent<T> | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      const right = left + 1
      let smallest = index
      if (left < items.length && before(items[left] as TimedEvent<T>, items[smallest] as TimedEvent<T>))
        smallest = left
      if (right < items.length && before(items[right] as TimedEvent<T>, items[smallest] as TimedEvent<T>))
        smallest = right
      if (smallest === index) return top
      swap(items, index, smallest)
      index = smallest
    }
  }
}

function before<T>(a: TimedEvent<T>, b: TimedEvent<T>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)
}

function swap<T>(items: T[], a: number, b: number): void {
  const held = items[a] as T
  items[a] = items[b] as T
  items[b] = held
}
