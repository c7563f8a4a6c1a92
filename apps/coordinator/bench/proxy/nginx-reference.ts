/**
 * nginx as the proxy bench's reference: a generated config in a temp dir, started as a child process
 * in the foreground (`-g 'daemon off;'`, `-p <dir>`, `-e <dir>/error.log`: no path outside the temp
 * dir, so no root needed), stopped and removed at the end. Install it with `scripts/setup.sh --bench`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { freePort, stopChild, waitForHttp } from '../internal/child-process.js'
import { childPids, readCpuSeconds } from '../internal/proc-stats.js'

/**
 * One worker, on purpose: the Node proxies it is held against each run one event loop on one core,
 * and on the 2-core bench machine a second worker would only compete with the load generator and the
 * runtime for the other core. CPU time per request is counted over master and worker either way.
 */
const WORKER_PROCESSES = 1
/** Idle upstream connections kept per worker, as many as the load generator opens at most. */
const UPSTREAM_KEEPALIVE = 64

export interface NginxReference {
  readonly url: string
  /** nginx's CPU time so far, master and workers (seconds). */
  cpuSeconds(): number
  stop(): Promise<void>
}

/** Where nginx is: on PATH, or in /usr/sbin (not on a non-root user's PATH on Debian). */
export function findNginx(): string | null {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin']
  for (const directory of directories) {
    if (directory === '') continue
    const candidate = join(directory, 'nginx')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch (error) {
      // Not here (ENOENT) or not executable (EACCES): try the next directory.
      if (!['ENOENT', 'EACCES', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
  }
  return null
}

/**
 * The config, like for like with the coordinator: HTTP/1.1 keep-alive both ways, no buffering (the
 * coordinator streams every response through as it comes), and one access-log line per request,
 * buffered and written to /dev/null as the bench's coordinator writes its one batched pino line.
 */
export function nginxConfig(directory: string, port: number, upstreamPort: number): string {
  return `worker_processes ${WORKER_PROCESSES};
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log /dev/null combined buffer=64k flush=1s;
  # Debian's build puts its temp paths under /var/lib/nginx; keep every path in the temp dir.
  client_body_temp_path ${directory}/client-body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  # nginx closes a keep-alive connection after 1 000 requests by default; Node's servers never do.
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  upstream runtime {
    server 127.0.0.1:${upstreamPort};
    keepalive ${UPSTREAM_KEEPALIVE};
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://runtime;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`
}

/** Starts nginx in front of `upstreamPort`; null when nginx is not installed. */
export async function startNginx(upstreamPort: number): Promise<NginxReference | null> {
  const binary = findNginx()
  if (binary === null) return null
  const directory = mkdtempSync(join(tmpdir(), 'llm-fleet-nginx-'))
  const port = await freePort()
  const configFile = join(directory, 'nginx.conf')
  writeFileSync(configFile, nginxConfig(directory, port, upstreamPort))
  const child: ChildProcess = spawn(
    binary,
    ['-p', directory, '-c', configFile, '-e', join(directory, 'error.log'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const url = `http://127.0.0.1:${port}`
  const remove = () => rmSync(directory, { recursive: true, force: true })
  try {
    await waitForHttp(url, child)
  } catch (error) {
    await stopChild(child)
    const log = readErrorLog(directory)
    remove()
    throw new Error(`nginx did not start${log === '' ? '' : `:\n${log}`}`, { cause: error })
  }
  const masterPid = child.pid
  if (masterPid === undefined) throw new Error('nginx did not start')
  // The workers are forked at start and live as long as the master: read their pids once.
  const pids = [masterPid, ...childPids(masterPid)]
  return {
    url,
    cpuSeconds: () => pids.reduce((sum, pid) => sum + readCpuSeconds(pid), 0),
    async stop() {
      await stopChild(child)
      remove()
    },
  }
}

function readErrorLog(directory: string): string {
  try {
    return readFileSync(join(directory, 'error.log'), 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}
