/**
 * A tiny real HTTP server standing in for the coordinator's agent API: it records every request and
 * answers with whatever the test's handler says (default: register → 201, metrics → 204, DELETE → 204).
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

export interface RecordedRequest {
  method: string
  path: string
  authorization: string | undefined
  body: unknown
}

export interface StubReply {
  status: number
  body?: unknown
}

export type StubHandler = (request: RecordedRequest, index: number) => StubReply | 'hang'

export interface StubCoordinator {
  url: string
  requests: RecordedRequest[]
  setHandler(handler: StubHandler): void
  /** Resolves when a request matching `predicate` has arrived (polls with a deadline, no sleeps). */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  close(): Promise<void>
}

export const defaultHandler: StubHandler = (request) => {
  if (request.method === 'POST' && request.path === '/api/agents') {
    return { status: 201, body: { agentId: 'agent-1', pushIntervalMs: 2000 } }
  }
  return { status: 204 }
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? undefined : JSON.parse(text)
}

export async function startStubCoordinator(handler: StubHandler = defaultHandler): Promise<StubCoordinator> {
  let current = handler
  const requests: RecordedRequest[] = []
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      }
      requests.push(recorded)
      const reply = current(recorded, requests.length - 1)
      if (reply === 'hang') return
      response.writeHead(reply.status, reply.body === undefined ? {} : { 'content-type': 'application/json' })
      response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  onTestFinished(close)
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler: (next) => {
      current = next
    },
    waitFor: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = requests.find(predicate)
        if (found !== undefined) return found
        if (Date.now() > deadline) throw new Error(`no matching request within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close,
  }
}
