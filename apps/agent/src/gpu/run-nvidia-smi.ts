/**
 * Runs nvidia-smi once with a hard timeout and reports a typed outcome. Never throws for the
 * failures a real host produces (missing binary, driver not loaded, version mismatch, hang).
 */
import { spawn } from 'node:child_process'

/** How a run ended. `ok` includes exit 14 (infoROM corrupted): nvidia-smi still prints valid data then. */
export type NvidiaSmiOutcome =
  | { kind: 'ok'; stdout: string; exitCode: number }
  /** The binary is not there (ENOENT) or not executable: a CPU-only host. */
  | { kind: 'missing'; message: string }
  /** It ran and failed: the driver's own message (printed on stdout) and the exit code (9, 18, 6, 2…). */
  | { kind: 'failed'; exitCode: number | null; message: string }
  /** It did not finish within the timeout and was killed. */
  | { kind: 'timeout'; timeoutMs: number }

export interface RunNvidiaSmiOptions {
  /** The nvidia-smi binary: a name looked up on PATH, or a path (`NVIDIA_SMI_PATH`). */
  binary: string
  /** Kill it after this long (`NVIDIA_SMI_TIMEOUT_MS`). */
  timeoutMs: number
  signal?: AbortSignal
}

/** nvidia-smi's "infoROM is corrupted" warning: the output above it is still valid (FAILURES.md C5). */
export const EXIT_INFOROM_CORRUPTED = 14

/** Guards against a broken binary flooding memory; `-q -x` on an 8-GPU host is about 100 KB. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024

/** Exit codes from NVIDIA's man page where nvidia-smi did print usable output. */
function isUsableExit(code: number | null): code is number {
  return code === 0 || code === EXIT_INFOROM_CORRUPTED
}

/** The driver's message is the first non-empty lines of stdout, else stderr; capped for the log. */
function describeFailure(stdout: string, stderr: string): string {
  const text = `${stdout.trim()}\n${stderr.trim()}`.trim()
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

/**
 * Runs `binary args…` without a shell. The child gets its own process group so a timeout kills the
 * whole group: a wrapper script that forks (`sh -c 'sleep 100'`) would otherwise keep the stdout pipe
 * open and the run would hang anyway. execFile's own `timeout` only kills the direct child.
 */
export function runNvidiaSmi(
  args: readonly string[],
  options: RunNvidiaSmiOptions,
): Promise<NvidiaSmiOutcome> {
  return new Promise((resolve) => {
    let settled = false
    const stdoutChunks: Buffer[] = []
    const stderrChunks: Buffer[] = []
    let outputBytes = 0
    const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })

    const killGroup = () => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch (error) {
        // ESRCH: the group is already gone, which is what we wanted.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') child.kill('SIGKILL')
      }
    }
    const finish = (outcome: NvidiaSmiOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      resolve(outcome)
    }
    const onAbort = () => {
      killGroup()
      finish({ kind: 'failed', exitCode: null, message: 'aborted' })
    }
    const timer = setTimeout(() => {
      killGroup()
      child.stdout.destroy()
      child.stderr.destroy()
      finish({ kind: 'timeout', timeoutMs: options.timeoutMs })
    }, options.timeoutMs)
    if (options.signal?.aborted) onAbort()
    else options.signal?.addEventListener('abort', onAbort, { once: true })

    const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
      outputBytes += chunk.length
      if (outputBytes > MAX_OUTPUT_BYTES) {
        killGroup()
        finish({ kind: 'failed', exitCode: null, message: `output exceeded ${MAX_OUTPUT_BYTES} bytes` })
        return
      }
      chunks.push(chunk)
    }
    child.stdout.on('data', collect(stdoutChunks))
    child.stderr.on('data', collect(stderrChunks))
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        finish({ kind: 'missing', message: `${options.binary}: ${error.code}` })
      } else {
        finish({ kind: 'failed', exitCode: null, message: error.message })
      }
    })
    child.on('close', (code, signalName) => {
      const stdout = Buffer.concat(stdoutChunks).toString('utf8')
      const stderr = Buffer.concat(stderrChunks).toString('utf8')
      if (isUsableExit(code)) {
        finish({ kind: 'ok', stdout, exitCode: code })
        return
      }
      // A shell answering for a missing command (FAILURES.md C4) is the same as ENOENT.
      if (code === 127) {
        finish({ kind: 'missing', message: describeFailure(stdout, stderr) })
        return
      }
      const message = describeFailure(stdout, stderr) || `terminated by ${signalName ?? 'unknown signal'}`
      finish({ kind: 'failed', exitCode: code, message })
    })
  })
}
