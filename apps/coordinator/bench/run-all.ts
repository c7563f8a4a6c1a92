/**
 * `pnpm bench`: runs every `*.bench.ts` in this folder, one after another (never in parallel: they
 * time things), each in its own process. Drop a new `*.bench.ts` here and it runs; the balancing
 * simulation lives in `balance/` and has its own script (`pnpm bench:balance`).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const benches = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.bench.ts') && !entry.name.startsWith('balance'))
  .map((entry) => entry.name)
  .sort()

const failed: string[] = []
for (const name of benches) {
  console.log(`\n=== ${name}`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', `${here}${name}`], { stdio: 'inherit' })
  if (result.status !== 0) failed.push(`${name} (exit ${result.status ?? result.signal})`)
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`)
  process.exit(1)
}
