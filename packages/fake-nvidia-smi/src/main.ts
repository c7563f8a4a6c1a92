#!/usr/bin/env node
/**
 * The stand-in `nvidia-smi`: answers from the capture named by FAKE_NVSMI_XML, fails as
 * FAKE_NVSMI_FAILURE says (see failures.ts). Thin: reads the environment and the file, prints what
 * respond() says, and repeats it for `-l`/`-lms` until killed.
 */
import { readFileSync } from 'node:fs'
import { parseInvocation, UsageError } from './args.js'
import { type Capture, readCapture } from './capture.js'
import { FAILURE_NAMES, type FailureName, isFailureName } from './failures.js'
import { respond } from './respond.js'

/** A setting or argument the stand-in cannot use: say which, exit 2 (nvidia-smi's invalid-argument code). */
function fail(message: string): never {
  process.stderr.write(`fake-nvidia-smi: ${message}\n`)
  process.exit(2)
}

function readHostCapture(path: string | undefined): Capture | null {
  if (path === undefined || path === '') return null
  let xml: string
  try {
    xml = readFileSync(path, 'utf8')
  } catch (error) {
    fail(`FAKE_NVSMI_XML=${path}: ${(error as Error).message}`)
  }
  try {
    return readCapture(xml)
  } catch (error) {
    fail(`FAKE_NVSMI_XML=${path}: ${(error as Error).message}`)
  }
}

function readFailure(value: string | undefined): FailureName | null {
  if (value === undefined || value === '') return null
  if (isFailureName(value)) return value
  fail(`FAKE_NVSMI_FAILURE=${value} is not one of ${FAILURE_NAMES.join(', ')}`)
}

function main(): void {
  let invocation: ReturnType<typeof parseInvocation>
  try {
    invocation = parseInvocation(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) fail(error.message)
    throw error
  }
  const reply = respond(invocation, {
    failure: readFailure(process.env.FAKE_NVSMI_FAILURE),
    capture: readHostCapture(process.env.FAKE_NVSMI_XML),
  })
  // A reader that went away (the agent killed its -lms child's pipe) ends the loop quietly.
  process.stdout.on('error', () => process.exit(0))
  process.stdout.write(reply.stdout)
  const { repeat } = reply
  if (repeat === undefined) {
    process.exitCode = reply.exitCode
    return
  }
  setInterval(() => process.stdout.write(repeat.stdout), repeat.everyMs)
}

main()
