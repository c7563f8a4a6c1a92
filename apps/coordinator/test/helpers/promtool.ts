/** Debian's real `promtool` as a child process (scripts/setup.sh installs the `prometheus` package). */
import { execFile } from 'node:child_process'

export interface PromtoolRun {
  /** promtool's exit status: 0 clean, 1 error, 3 lint problems (`check metrics`). */
  readonly code: number
  /** stdout and stderr together: promtool writes its findings to either. */
  readonly output: string
}

/** Runs `promtool args…` in `cwd`, feeding `stdin` if given; a missing promtool fails saying what to do. */
export function promtool(args: readonly string[], options: { cwd?: string; stdin?: string } = {}) {
  return new Promise<PromtoolRun>((resolve, reject) => {
    const child = execFile('promtool', args, { cwd: options.cwd }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('promtool is not installed: run scripts/setup.sh (Debian package `prometheus`)'))
        return
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` })
    })
    child.stdin?.end(options.stdin ?? '')
  })
}
