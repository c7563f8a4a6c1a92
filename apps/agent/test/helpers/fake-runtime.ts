/** A tiny real HTTP server answering fixed JSON/text per path, standing in for Ollama, vLLM or llama.cpp. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

/** Path → JSON body (object/array) or text body (string). Unlisted paths answer 404. */
export type FakeRoutes = Record<string, unknown>

export const OLLAMA_ROUTES: FakeRoutes = {
  '/api/version': { version: '0.5.7' },
  '/api/tags': { models: [{ name: 'llama3.1:8b' }, { name: 'qwen2.5:7b' }] },
  '/api/ps': { models: [{ name: 'llama3.1:8b' }] },
}

export async function startFakeRuntime(
  routes: FakeRoutes,
): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = []
  const server = createServer((request, response) => {
    const path = request.url ?? '/'
    hits.push(path)
    const body = routes[path]
    if (body === undefined) {
      response.writeHead(404).end('not found')
      return
    }
    const isText = typeof body === 'string'
    response.writeHead(200, { 'content-type': isText ? 'text/plain' : 'application/json' })
    response.end(isText ? body : JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  onTestFinished(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close }
}
