/**
 * `pnpm bench`: the forwarder's model-based test (test/forwarder-model.test.ts) over many more random
 * sequences than CI runs: `FORWARDER_MODEL_RUNS` (default here 400) and `FORWARDER_MODEL_SEED`.
 * It proves invariants rather than timing anything; it lives here because it takes minutes.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const runs = process.env.FORWARDER_MODEL_RUNS ?? '400'
console.log(`forwarder model-based test: ${runs} sequences`)
const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'test/forwarder-model.test.ts'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  stdio: 'inherit',
  env: { ...process.env, FORWARDER_MODEL_RUNS: runs },
})
process.exit(result.status ?? 1)
