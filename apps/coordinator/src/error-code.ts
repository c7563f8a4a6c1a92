/** The string `code` of a Node or undici error (`ECONNRESET`, `UND_ERR_SOCKET`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}
