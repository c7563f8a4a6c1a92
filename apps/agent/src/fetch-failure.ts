/** PURE: why a `fetch` failed. Node's fetch throws a bare `TypeError: fetch failed` and puts undici's reason in `cause`. */

/** The code undici gave the failure (`ECONNREFUSED`, `UND_ERR_…`), or undefined when it gave none. */
export function fetchCauseCode(error: Error): string | undefined {
  const cause = error.cause as { code?: unknown } | undefined
  return typeof cause?.code === 'string' ? cause.code : undefined
}
