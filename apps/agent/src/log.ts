/**
 * A tiny pino-compatible logger: NDJSON lines on stdout, object first and message second.
 * pino itself is not a dependency of the agent (fastify brings it to the coordinator only), and the
 * agent logs a few lines a minute, so the 60 lines here are cheaper than another dependency.
 */
import { hostname } from 'node:os'

/** Level names as pino spells them; `silent` turns logging off. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** pino's numeric levels, so log tooling that reads pino reads these lines too. */
const LEVEL_VALUES: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity }

export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
  /** A logger whose lines carry `bindings` too, e.g. `{ component: 'gpu' }`. */
  child(bindings: Record<string, unknown>): Logger
}

export interface LoggerOptions {
  level: LogLevel
  /** Where lines go; defaults to stdout. Tests pass a collector. */
  write?: (line: string) => void
}

/** Errors don't serialise with JSON.stringify; pino's `err` serializer shape instead. */
function serialiseValue(value: unknown): unknown {
  if (value instanceof Error) {
    const withCode = value as Error & { code?: unknown }
    return {
      type: value.name,
      message: value.message,
      ...(withCode.code === undefined ? {} : { code: withCode.code }),
      stack: value.stack,
    }
  }
  return value
}

function toLine(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => serialiseValue(value))
  } catch (error) {
    // A circular field must not take the daemon down: log that the line was lost instead.
    return JSON.stringify({
      level: record.level,
      time: record.time,
      msg: 'unserialisable log line',
      err: String(error),
    })
  }
}

export function createLogger(options: LoggerOptions, bindings: Record<string, unknown> = {}): Logger {
  const threshold = LEVEL_VALUES[options.level]
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const base = { pid: process.pid, hostname: hostname(), ...bindings }
  const emit = (level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, message: string) => {
    const value = LEVEL_VALUES[level]
    if (value < threshold) return
    write(toLine({ level: value, time: Date.now(), ...base, ...fields, msg: message }))
  }
  return {
    debug: (fields, message) => emit('debug', fields, message),
    info: (fields, message) => emit('info', fields, message),
    warn: (fields, message) => emit('warn', fields, message),
    error: (fields, message) => emit('error', fields, message),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  }
}

/** A logger that drops everything, for tests and the `sample` command. */
export function createSilentLogger(): Logger {
  return createLogger({ level: 'silent', write: () => undefined })
}
