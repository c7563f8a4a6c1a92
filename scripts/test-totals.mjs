// Sums the vitest JSON reports of every package into one line: "N passed, N failed".
// Usage: node scripts/test-totals.mjs [turbo's exit status]
// The line never reads "0 failed" for a run that failed: a package that wrote no report, a failed
// run without a failed test (a suite that could not load), or a failing exit status with no failed
// test (lint, typecheck, or an unhandled error that vitest reports outside any test) count as one.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

let passed = 0
let failed = 0
let skipped = 0
for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(group)) {
    const manifest = join(group, name, 'package.json')
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue
    const report = join(group, name, 'test-output', 'vitest.json')
    if (!existsSync(report)) {
      console.error(`test-totals: ${group}/${name} wrote no test report (its tests did not run to the end)`)
      failed += 1
      continue
    }
    const json = JSON.parse(readFileSync(report, 'utf8'))
    passed += json.numPassedTests
    failed += json.numFailedTests
    skipped += json.numPendingTests + json.numTodoTests
    if (!json.success && json.numFailedTests === 0) {
      console.error(`test-totals: ${group}/${name} failed outside any test (unhandled error or suite error)`)
      failed += 1
    }
  }
}
const runStatus = Number(process.argv[2] ?? 0)
if (runStatus !== 0 && failed === 0) {
  console.error(
    'test-totals: the run failed outside any test (lint, typecheck or an unhandled error: see above)',
  )
  failed = 1
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 || passed === 0 ? 1 : 0
