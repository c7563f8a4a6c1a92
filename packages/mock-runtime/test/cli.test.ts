import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
const MAIN = join(PACKAGE_DIR, 'dist', 'main.js')

beforeAll(() => {
  // The bin is the built file; build once when a fresh checkout has no dist/ yet.
  if (!existsSync(MAIN)) execFileSync('pnpm', ['build'], { cwd: PACKAGE_DIR, stdio: 'inherit' })
}, 60_000)

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return { child, stderr: () => stderr }
}

describe('llm-fleet-mock-runtime', () => {
  it('starts, logs one JSON line with its URL, serves, and exits 0 on SIGTERM', async () => {
    const { child } = run(['--port', '0', '--profile', 't4', '--kind', 'ollama', '--name', 'cli-t4'], {
      SPEED_SCALE: '100',
    })
    const lines = createInterface({ input: child.stdout })
    const [firstLine] = (await once(lines, 'line')) as [string]
    const log = JSON.parse(firstLine) as { url: string; name: string; profile: string; speedScale: number }
    expect(log).toMatchObject({ name: 'cli-t4', profile: 't4', speedScale: 100 })
    expect(log.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const version = await request(`${log.url}/api/version`)
    expect(version.statusCode).toBe(200)
    expect(version.headers['x-mock-runtime']).toBe('cli-t4')
    await version.body.dump()
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })

  it('exits 2 naming the setting on a bad value', async () => {
    const { child, stderr } = run(['--profile', 'voodoo2'])
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr()).toContain('--profile')
  })

  it('exits 2 on a bad env value too', async () => {
    const { child, stderr } = run([], { SPEED_SCALE: 'fast' })
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr()).toContain('SPEED_SCALE')
  })

  it('exits 2 naming the port setting when the port is in use', async () => {
    const taken = createServer().listen(0, '127.0.0.1')
    await once(taken, 'listening')
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())))
    const port = (taken.address() as AddressInfo).port
    const { child, stderr } = run(['--port', String(port)])
    // 'close', not 'exit': stderr is read to its end by then.
    const [code] = await once(child, 'close')
    expect(code).toBe(2)
    expect(stderr()).toBe(
      `llm-fleet-mock-runtime: --port (MOCK_RUNTIME_PORT): port ${port} is already in use on 127.0.0.1\n`,
    )
  })

  it('--help prints the usage and exits 0', async () => {
    const { child } = run(['--help'])
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: llm-fleet-mock-runtime')
  })
})
