/**
 * A `listen` that failed because of a setting (a port in use, a host that is not this machine's), as
 * the one line a CLI prints; undefined for any other failure. Shared by the coordinator and the mock
 * runtime, as `formatZodError` is.
 */
export interface ListenSettingNames {
  /** The host setting's name, e.g. `HOST`. */
  readonly host: string
  /** The name of the setting that chose `port`, e.g. `PORT`. */
  readonly port: (port: number) => string
}

export interface ListenProblem {
  readonly line: string
  /**
   * It may pass by itself: an address whose interface is not up yet, a resolver not ready at boot. The
   * CLI exits 1 then, so that a service manager restarts it, and 2 (a usage error, not restarted) else.
   */
  readonly isTransient: boolean
}

export function listenProblem(error: unknown, names: ListenSettingNames): ListenProblem | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, port, address, hostname } = error as {
    code?: unknown
    port?: unknown
    address?: unknown
    hostname?: unknown
  }
  const portName = typeof port === 'number' ? names.port(port) : undefined
  switch (code) {
    case 'EADDRINUSE':
      return lasting(portName, `port ${port} is already in use on ${address}`)
    case 'EACCES':
      return lasting(portName, `no permission to listen on port ${port} (ports below 1024 need privileges)`)
    case 'ENOTFOUND':
      return lasting(names.host, `${hostname} does not resolve to an address`)
    case 'EADDRNOTAVAIL':
      return { line: `${names.host}: ${address} is not an address of this machine (yet?)`, isTransient: true }
    case 'EAI_AGAIN':
      return {
        line: `${names.host}: ${hostname} could not be resolved now (the resolver may not be up)`,
        isTransient: true,
      }
    default:
      return undefined
  }
}

function lasting(setting: string | undefined, problem: string): ListenProblem | undefined {
  return setting === undefined ? undefined : { line: `${setting}: ${problem}`, isTransient: false }
}
