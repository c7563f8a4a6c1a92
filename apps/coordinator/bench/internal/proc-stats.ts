/** Readings of another process from /proc (Linux): resident memory, CPU time, child processes. */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100

/** Resident set size now, MiB (NaN when /proc has no VmRSS line, as for a zombie). */
export function readRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match === null ? Number.NaN : Number(match[1]) / 1024
}

/** User + system CPU time so far, seconds, every thread included (10 ms resolution). */
export function readCpuSeconds(pid: number): number {
  const fields = statFields(pid)
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}

/** The processes whose parent is `pid` now (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // Field 4 of stat, the first after the state: the parent's pid.
      if (Number(statFields(Number(entry))[1]) === pid) children.push(Number(entry))
    } catch (error) {
      // A process that exited between readdir and read has no children to report.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return children
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces, hence the last ')'). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}
