/** What `ps` says about processes (Linux and macOS): for tests that check nothing is left running. */
import { execFileSync } from 'node:child_process'

/** The pids of every process below `rootPid`, from `ps` (Linux and macOS). */
export function descendantPids(rootPid: number): number[] {
  const children = new Map<number, number[]>()
  for (const line of execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' }).split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number)
    if (pid === undefined || ppid === undefined || Number.isNaN(pid)) continue
    children.set(ppid, [...(children.get(ppid) ?? []), pid])
  }
  const found: number[] = []
  const queue = [rootPid]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

/** Running, as opposed to gone or a zombie (a container's PID 1 may never reap what it inherits). */
export function isRunning(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim()
    return state !== '' && !state.startsWith('Z')
  } catch (error) {
    // ps exits 1 when no such process exists.
    if ((error as { status?: number }).status === 1) return false
    throw error
  }
}
