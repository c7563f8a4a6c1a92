/** Test helpers: a mock runtime torn down with the test, an undici agent that lets go fast, polling. */
import { Agent, request } from 'undici'
import { onTestFinished } from 'vitest'
import { type MockRuntime, type MockRuntimeOptions, startMockRuntime } from '../../src/index.js'

/** Starts a runtime on port 0 at speed scale 100 (so tests are fast) and closes it when the test ends. */
export async function startTestRuntime(options: Partial<MockRuntimeOptions> = {}): Promise<MockRuntime> {
  const runtime = await startMockRuntime({
    kind: 'ollama',
    profile: 'a100',
    models: ['llama3.1:8b'],
    speedScale: 100,
    port: 0,
    ...options,
  })
  onTestFinished(() => runtime.close())
  return runtime
}

/** A dispatcher whose idle sockets close quickly (undici writing-tests advice), closed with the test. */
export function testAgent(): Agent {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  onTestFinished(() => agent.destroy())
  return agent
}

/** POSTs JSON and returns status, headers and the whole body text. */
export async function postJson(
  agent: Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

/** GETs a URL and parses the JSON body. */
export async function getJson(agent: Agent, url: string): Promise<{ status: number; json: unknown }> {
  const response = await request(url, { dispatcher: agent })
  const text = await response.body.text()
  return { status: response.statusCode, json: JSON.parse(text) as unknown }
}

/** Polls `check` until it returns true or the deadline passes (then throws naming `what`). */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Splits an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => {
      if (!event.startsWith('data: ')) throw new Error(`not an SSE data event: ${event}`)
      return event.slice('data: '.length)
    })
}
