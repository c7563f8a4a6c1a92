/** An in-flight slot on a node, held for the lifetime of one proxied request (paddler's slot guard). */

export interface Lease {
  readonly nodeId: string
  /** Gives the slot back. Idempotent: the second and later calls do nothing. */
  release(): void
}

/** A lease whose release runs `onRelease` exactly once. */
export function createLease(nodeId: string, onRelease: () => void): Lease {
  let isReleased = false
  return {
    nodeId,
    release() {
      if (isReleased) return
      isReleased = true
      onRelease()
    },
  }
}
