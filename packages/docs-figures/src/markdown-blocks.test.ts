import { describe, expect, it } from 'vitest'
import { BlockSyntaxError, findBlocks, replaceBlocks } from './markdown-blocks.js'

const doc = [
  '# Title',
  '',
  '<!-- figures:table-a -->',
  '| old |',
  '<!-- /figures:table-a -->',
  '',
  'It holds <!-- figures:headline -->12<!-- /figures:headline --> agents.',
  '',
].join('\n')

describe('findBlocks', () => {
  it('finds block and inline blocks with their line and content', () => {
    expect(findBlocks(doc, 'doc.md')).toEqual([
      { name: 'table-a', line: 3, content: '| old |' },
      { name: 'headline', line: 7, content: '12' },
    ])
  })

  it('names the file and line of an opening marker without its closing one', () => {
    const broken = 'a\n<!-- figures:x -->\nb\n<!-- /figures:y -->\n'
    expect(() => findBlocks(broken, 'docs/a.md')).toThrow(BlockSyntaxError)
    expect(() => findBlocks(broken, 'docs/a.md')).toThrow(
      'docs/a.md:2: <!-- figures:x --> has no <!-- /figures:x --> after it',
    )
  })
})

describe('replaceBlocks', () => {
  it('replaces each block, keeping block blocks on their own lines and inline ones inline', () => {
    const out = replaceBlocks(doc, (name) => (name === 'table-a' ? '| new |\n| row |\n' : '40 000'))
    expect(out).toBe(
      [
        '# Title',
        '',
        '<!-- figures:table-a -->',
        '| new |',
        '| row |',
        '<!-- /figures:table-a -->',
        '',
        'It holds <!-- figures:headline -->40 000<!-- /figures:headline --> agents.',
        '',
      ].join('\n'),
    )
  })

  it('fills an empty block of lines', () => {
    const empty = '<!-- figures:x -->\n<!-- /figures:x -->\n'
    expect(replaceBlocks(empty, () => 'text')).toBe('<!-- figures:x -->\ntext\n<!-- /figures:x -->\n')
  })

  it('is idempotent', () => {
    const once = replaceBlocks(doc, () => 'same')
    expect(replaceBlocks(once, () => 'same')).toBe(once)
  })
})
