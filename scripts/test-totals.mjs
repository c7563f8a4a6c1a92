// Sums the vitest JSON reports of every package into one line: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

let passed = 0
let failed = 0
let skipped = 0
for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(group)) {
    const report = join(group, name, 'test-output', 'vitest.json')
    if (!existsSync(report)) continue
    const json = JSON.parse(readFileSync(report, 'utf8'))
    passed += json.numPassedTests
    failed += json.numFailedTests
    skipped += json.numPendingTests + json.numTodoTests
  }
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 || passed === 0 ? 1 : 0
