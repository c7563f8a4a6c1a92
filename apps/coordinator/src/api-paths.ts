/** Which API a request path belongs to, where the coordinator's own routes share a prefix with Ollama's. */

/** The coordinator's own routes under `/api/` (the agent API, `/api/route`): not Ollama's. */
export function isCoordinatorApi(path: string): boolean {
  return /^\/api\/(agents|route)(\/|$)/.test(path)
}
