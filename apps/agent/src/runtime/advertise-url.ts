/** PURE: the runtime URL as other hosts reach it, when `ADVERTISE_URL` is not set. */
import type { NetworkInterfaceInfo } from 'node:os'

/**
 * The runtime's scheme, port and path on the host's primary non-loopback IPv4 (the first external IPv4
 * in interface order). `127.0.0.1:11434` is useless to a coordinator on another machine. Falls back to
 * the runtime URL itself on a host with no external IPv4, with the port spelled out. The path stays: a
 * runtime behind a reverse proxy under a prefix (`http://127.0.0.1:8080/ollama`) is reached there, and
 * the coordinator forwards to the registered URL's path plus the request's.
 */
export function defaultAdvertiseUrl(
  runtimeUrl: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string {
  const url = new URL(runtimeUrl)
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const isLoopback =
    url.hostname === 'localhost' || url.hostname.startsWith('127.') || url.hostname === '[::1]'
  let host = url.hostname
  if (isLoopback || host === '0.0.0.0') {
    const external = Object.values(interfaces)
      .flatMap((entries) => entries ?? [])
      .find((entry) => entry.family === 'IPv4' && !entry.internal)
    if (external !== undefined) host = external.address
  }
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${host}:${port}${path}`
}
