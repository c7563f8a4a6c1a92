/**
 * A `listen` that failed because of a setting (a port in use, a host that is not this machine's), as
 * the one line a CLI prints before exiting 2; undefined for any other failure. Shared by the
 * coordinator and the mock runtime, as `formatZodError` is.
 */
export interface ListenSettingNames {
  /** The host setting's name, e.g. `HOST`. */
  readonly host: string
  /** The name of the setting that chose `port`, e.g. `PORT`. */
  readonly port: (port: number) => string
}

export function listenProblem(error: unknown, names: ListenSettingNames): string | undefined {
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
      return portName === undefined ? undefined : `${portName}: port ${port} is already in use on ${address}`
    case 'EACCES':
      return portName === undefined
        ? undefined
        : `${portName}: no permission to listen on port ${port} (ports below 1024 need privileges)`
    case 'EADDRNOTAVAIL':
      return `${names.host}: ${address} is not an address of this machine`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${names.host}: ${hostname} does not resolve to an address`
    default:
      return undefined
  }
}
