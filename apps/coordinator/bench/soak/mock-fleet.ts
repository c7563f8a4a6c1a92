/**
 * Child-process entry for the soak bench: starts `--count` mock runtimes (OpenAI kind) with a slow,
 * wide profile (many slots, so thousands of streams stay open at once instead of queueing), prints one
 * JSON line `{ urls }`, and closes them on SIGTERM. A separate process, so that the runtimes never share
 * an event loop with the load generator or the coordinator.
 */
import { parseArgs } from 'node:util'
import { type GpuProfile, startMockRuntime } from '@llm-fleet/mock-runtime'

/** Every request decodes at `singleTokensPerS` however many run at once (exponent 1). */
const WIDE: GpuProfile = {
  id: 'soak-wide',
  gpuName: 'Soak Test GPU',
  memoryBandwidthGBs: 1000,
  singleTokensPerS: 10,
  ttftMs: 20,
  slots: 512,
  batchingExponent: 1,
}

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '8' },
    model: { type: 'string', default: 'soak-model' },
    'tokens-per-s': { type: 'string', default: '10' },
  },
})
const profile: GpuProfile = { ...WIDE, singleTokensPerS: Number(values['tokens-per-s']) }
const runtimes = await Promise.all(
  Array.from({ length: Number(values.count) }, (_, index) =>
    startMockRuntime({ kind: 'openai', profile, models: [values.model], port: 0, name: `soak-${index}` }),
  ),
)
console.log(JSON.stringify({ urls: runtimes.map((runtime) => runtime.url) }))
const stop = async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()))
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())
