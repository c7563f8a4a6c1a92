import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { listenProblem } from './listen-problem.js'

const NAMES = { host: 'HOST', port: () => 'PORT' }

/** The error a real `listen` fails with. */
async function listenError(port: number, host: string): Promise<unknown> {
  const server = createServer()
  server.listen(port, host)
  const [error] = (await Promise.race([once(server, 'error'), once(server, 'listening')])) as [unknown]
  server.close()
  return error
}

async function listening(): Promise<Server> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return server
}

describe('listenProblem', () => {
  it('names the port setting for a port in use, and which setting chose that port', async () => {
    const taken = await listening()
    const port = (taken.address() as { port: number }).port
    const error = await listenError(port, '127.0.0.1')
    expect(listenProblem(error, NAMES)).toEqual({
      line: `PORT: port ${port} is already in use on 127.0.0.1`,
      isTransient: false,
    })
    const control = { host: 'HOST', port: (p: number) => (p === port ? 'CONTROL_PORT' : 'PORT') }
    expect(listenProblem(error, control)?.line).toMatch(/^CONTROL_PORT: /)
  })

  it('names the host setting for an address of another machine, which may yet come up', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    expect(listenProblem(await listenError(0, '192.0.2.1'), NAMES)).toEqual({
      line: 'HOST: 192.0.2.1 is not an address of this machine (yet?)',
      isTransient: true,
    })
  })

  it('tells a name that does not resolve from a resolver that cannot answer now', () => {
    // As getaddrinfo fails (dns.lookup's errors): made here, since a test machine's DNS may be absent.
    const lookup = (code: string) => Object.assign(new Error(code), { code, hostname: 'gpu-gw.example' })
    expect(listenProblem(lookup('ENOTFOUND'), NAMES)).toEqual({
      line: 'HOST: gpu-gw.example does not resolve to an address',
      isTransient: false,
    })
    expect(listenProblem(lookup('EAI_AGAIN'), NAMES)?.isTransient).toBe(true)
  })

  it('leaves every other failure to the caller', () => {
    expect(listenProblem(Object.assign(new Error('boom'), { code: 'EMFILE' }), NAMES)).toBeUndefined()
    expect(listenProblem('not an error', NAMES)).toBeUndefined()
  })
})
