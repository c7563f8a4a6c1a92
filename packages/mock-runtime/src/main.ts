#!/usr/bin/env node
/** llm-fleet-mock-runtime: reads the settings, starts one mock runtime, logs its URL, stops on signals. */
import { listenProblem } from '@llm-fleet/types'
import { HELP, loadConfig } from './config.js'
import { startMockRuntime } from './mock-runtime.js'

const EXIT_USAGE = 2

const result = loadConfig({ argv: process.argv.slice(2), env: process.env })
if (result.kind === 'help') {
  process.stdout.write(HELP)
  process.exit(0)
}
if (result.kind === 'invalid') {
  for (const problem of result.problems) console.error(`llm-fleet-mock-runtime: ${problem}`)
  console.error('Run with --help for the settings.')
  process.exit(EXIT_USAGE)
}
const { config } = result

const runtime = await startMockRuntime({
  kind: config.kind,
  profile: config.profile,
  models: config.models,
  port: config.port,
  host: config.host,
  speedScale: config.speedScale,
  ...(config.name === undefined ? {} : { name: config.name }),
  ...(config.controlPort === undefined ? {} : { controlPort: config.controlPort }),
  server: config.server,
  ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
  fault: {
    mode: config.fault,
    ...(config.faultAfterChunks === undefined ? {} : { afterChunks: config.faultAfterChunks }),
    ...(config.faultCount === undefined ? {} : { count: config.faultCount }),
  },
}).catch((error: unknown) => {
  const problem = listenProblem(error, {
    host: '--host (MOCK_RUNTIME_HOST)',
    port: (port) =>
      port === config.controlPort
        ? '--control-port (MOCK_RUNTIME_CONTROL_PORT)'
        : '--port (MOCK_RUNTIME_PORT)',
  })
  if (problem === undefined) throw error
  console.error(`llm-fleet-mock-runtime: ${problem.line}`)
  process.exit(problem.isTransient ? 1 : EXIT_USAGE)
})

console.log(
  JSON.stringify({
    level: 'info',
    msg: 'mock runtime listening',
    url: runtime.url,
    controlUrl: runtime.controlUrl,
    name: runtime.name,
    kind: config.kind,
    profile: config.profile,
    models: config.models,
    speedScale: config.speedScale,
  }),
)

const shutdown = (signal: NodeJS.Signals): void => {
  runtime.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'close failed', signal, err: String(error) }))
      process.exit(1)
    },
  )
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
