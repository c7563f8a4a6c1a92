/**
 * `pnpm docs:figures`: rewrites every generated block in README.md and docs/ from its renderer.
 * `--check` writes nothing and exits 1 when a block is stale (the test does the same).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderDocs } from './docs.js'
import { REPO_ROOT } from './paths.js'
import { loadBlocks } from './registry.js'

const isCheck = process.argv.includes('--check')
try {
  const files = renderDocs(await loadBlocks())
  let staleCount = 0
  for (const { file, expected, stale } of files) {
    if (stale.length === 0) continue
    staleCount += stale.length
    console.log(`${file}: ${isCheck ? 'stale' : 'rewrote'} ${stale.join(', ')}`)
    if (!isCheck) writeFileSync(join(REPO_ROOT, file), expected)
  }
  const total = files.reduce((sum, { blockNames }) => sum + blockNames.length, 0)
  console.log(`${total} blocks in ${files.length} files, ${staleCount} ${isCheck ? 'stale' : 'rewritten'}`)
  if (isCheck && staleCount > 0) process.exitCode = 1
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 2
}
