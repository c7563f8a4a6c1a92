/** A logger whose lines are kept, parsed, for assertions on what was logged and how often. */
import { createLogger, type Logger } from '../../src/log.js'

export interface CapturedLog {
  log: Logger
  lines: Array<Record<string, unknown> & { msg: string; level: number }>
  /** Lines whose message matches. */
  find(message: RegExp): Array<Record<string, unknown>>
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = []
  const log = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) })
  return { log, lines, find: (message) => lines.filter((line) => message.test(line.msg)) }
}
