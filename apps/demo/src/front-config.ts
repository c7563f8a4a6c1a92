/**
 * The front configurations shipped in deploy/ (HAProxy, nginx), with their example addresses replaced
 * by real ones: the HA test and `pnpm bench:ha` run exactly the documented files.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** Stands in for each server line after the first until the lines are dropped (no config holds it). */
const DROPPED_SERVER = '#llm-fleet-dropped-server#'
const DROPPED_SERVER_LINE = new RegExp(`\\n${DROPPED_SERVER}(?=\\n)`, 'g')

export type FrontKind = 'haproxy' | 'nginx'

export interface FrontAddresses {
  /** Where the front listens (`127.0.0.1:PORT`). */
  readonly listen: string
  /** One `host:port` per coordinator. */
  readonly coordinators: readonly string[]
}

export function frontConfigPath(repoRoot: string, kind: FrontKind): string {
  return resolve(repoRoot, kind === 'haproxy' ? 'deploy/haproxy/haproxy.cfg' : 'deploy/nginx/llm-fleet.conf')
}

/**
 * The shipped file with its listen address and its server lines replaced: one server line per
 * coordinator, each with the options of the file's first server line.
 * @throws Error when the file no longer has the lines this relies on (the test then says so).
 */
export function renderFrontConfig(repoRoot: string, kind: FrontKind, addresses: FrontAddresses): string {
  const text = readFileSync(frontConfigPath(repoRoot, kind), 'utf8')
  const listen = kind === 'haproxy' ? /^(\s*bind )\S+$/m : /^(\s*listen )\S+;$/m
  const server = kind === 'haproxy' ? /^(\s*server )\S+ \S+( .*)?$/gm : /^(\s*server )\S+( [^;]*)?;$/gm
  if (!listen.test(text)) throw new Error(`${kind}: no listen line to replace`)
  const servers = [...text.matchAll(server)]
  const first = servers[0]
  if (first === undefined) throw new Error(`${kind}: no server line to replace`)
  const [indent, options] = [first[1] ?? '', first[2] ?? '']
  const generated = addresses.coordinators
    .map((address, index) =>
      kind === 'haproxy'
        ? `${indent}coordinator-${index + 1} ${address}${options}`
        : `${indent}${address}${options};`,
    )
    .join('\n')
  let replacedFirst = false
  const withServers = text.replace(server, () => {
    if (replacedFirst) return DROPPED_SERVER
    replacedFirst = true
    return generated
  })
  const withListen = withServers.replace(listen, (_line, prefix: string) =>
    kind === 'haproxy' ? `${prefix}${addresses.listen}` : `${prefix}${addresses.listen};`,
  )
  return withListen.replace(DROPPED_SERVER_LINE, '')
}

/** A minimal nginx main configuration around the shipped `http {}` snippet, writing only under `dir`. */
export function nginxMainConfig(dir: string, snippetPath: string): string {
  return [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/client-body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    `  include ${snippetPath};`,
    '}',
    '',
  ].join('\n')
}
