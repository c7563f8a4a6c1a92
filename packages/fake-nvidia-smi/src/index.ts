/** The stand-in nvidia-smi's path, for tests and the demo that exec it, and its pure parts. */
import { fileURLToPath } from 'node:url'

/** `dist/main.js`: executable (`#!/usr/bin/env node`), exec'd directly as `nvidia-smi`. */
export const FAKE_NVIDIA_SMI_BIN = fileURLToPath(new URL('./main.js', import.meta.url))

export { type Invocation, parseInvocation, UsageError } from './args.js'
export { type Capture, readCapture } from './capture.js'
export { FAILURE_NAMES, type FailureName } from './failures.js'
export { type Host, type Reply, respond } from './respond.js'
