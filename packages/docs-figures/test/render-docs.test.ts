/** renderDocs on a scratch repository: what a stale, unknown or broken block reports. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Block, fromCode, fromResults } from '../src/block.js'
import { renderDocs } from '../src/docs.js'

const counted = fromResults('count.json', z.object({ count: z.number() }), ({ count }) => `${count} agents`)
const blocks = new Map<string, Block>([
  ['count', counted],
  ['hello', fromCode(() => '| hello |')],
])

function scratch(files: Record<string, string>): { root: string; resultsDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'docs-figures-'))
  mkdirSync(join(root, 'docs'))
  mkdirSync(join(root, 'results'))
  for (const [file, text] of Object.entries(files)) writeFileSync(join(root, file), text)
  return { root, resultsDir: join(root, 'results') }
}

describe('renderDocs', () => {
  it('names the stale blocks of each file and gives the rewritten text', () => {
    const dirs = scratch({
      'README.md': 'We hold <!-- figures:count -->7 agents<!-- /figures:count -->.\n',
      'docs/a.md': '<!-- figures:hello -->\n| hello |\n<!-- /figures:hello -->\n',
      'docs/plain.md': 'no blocks here\n',
      'results/count.json': '{ "count": 12 }',
    })
    const rendered = renderDocs(blocks, dirs)
    expect(rendered.map(({ file, stale }) => ({ file, stale }))).toEqual([
      { file: 'README.md', stale: ['count'] },
      { file: 'docs/a.md', stale: [] },
    ])
    expect(rendered[0]?.expected).toBe('We hold <!-- figures:count -->12 agents<!-- /figures:count -->.\n')
  })

  it('refuses a block without a renderer, naming the file, line and expected renderer file', () => {
    const dirs = scratch({ 'docs/a.md': 'x\n\n<!-- figures:nope -->\n<!-- /figures:nope -->\n' })
    expect(() => renderDocs(blocks, dirs)).toThrow(
      'docs/a.md:3: no renderer for block "nope" (expected src/blocks/nope.ts)',
    )
  })

  it('names the block and the field when a results file changed shape', () => {
    const dirs = scratch({
      'docs/a.md': '<!-- figures:count -->\n<!-- /figures:count -->\n',
      'results/count.json': '{ "agents": 12 }',
    })
    expect(() => renderDocs(blocks, dirs)).toThrow(
      /block "count" \(in docs\/a\.md\): bench\/results\/count\.json does not have the shape this block reads:\n {2}count: /,
    )
  })

  it('says which results file is missing', () => {
    const dirs = scratch({ 'docs/a.md': '<!-- figures:count -->\n<!-- /figures:count -->\n' })
    expect(() => renderDocs(blocks, dirs)).toThrow(
      /block "count" \(in docs\/a\.md\): .*count\.json does not exist/,
    )
  })
})
