/**
 * The drift test: every generated block in README.md and docs/ holds exactly what its renderer makes
 * of the current code and bench/results/*.json. Fix a failure with `pnpm docs:figures`.
 */
import { describe, expect, it } from 'vitest'
import { renderDocs } from '../src/docs.js'
import { loadBlocks } from '../src/registry.js'

const blocks = await loadBlocks()
const files = renderDocs(blocks)

describe('generated blocks in README.md and docs/', () => {
  it.each(files.map((file) => [file.file, file] as const))('%s matches its renderers', (name, file) => {
    expect(file.stale, `${name}: stale blocks ${file.stale.join(', ')}; run \`pnpm docs:figures\``).toEqual(
      [],
    )
    expect(file.current).toBe(file.expected)
  })

  it('uses every renderer in src/blocks/ somewhere', () => {
    const used = new Set(files.flatMap((file) => file.blockNames))
    const unused = [...blocks.keys()].filter((name) => !used.has(name))
    expect(unused, 'renderers whose block appears in no markdown file').toEqual([])
  })

  it('puts the compute score table and every app config table in the docs', () => {
    const where = (name: string) =>
      files.filter((file) => file.blockNames.includes(name)).map((file) => file.file)
    expect(where('score-table')).toEqual(['docs/agent.md'])
    for (const name of ['config-coordinator', 'config-agent', 'config-mock-runtime']) {
      expect(where(name)).toEqual(['docs/configuration.md'])
    }
  })
})
