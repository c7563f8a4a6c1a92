/**
 * PURE: finds and rewrites the generated blocks of a markdown file. A block is
 *
 *     <!-- figures:select-table -->
 *     …text the renderer `src/blocks/select-table.ts` wrote…
 *     <!-- /figures:select-table -->
 *
 * HTML comments do not show on GitHub or in most markdown viewers. A block may also sit inside a line
 * (`<!-- figures:x -->40 000<!-- /figures:x -->`); it keeps the form it was written in.
 */

export interface FoundBlock {
  readonly name: string
  /** 1-based line of the opening marker, for error messages. */
  readonly line: number
  /** The text between the markers, without the newlines that follow the opening or precede the closing one. */
  readonly content: string
}

const NAME = '[a-z0-9][a-z0-9-]*'
const OPENING = new RegExp(`<!-- figures:(${NAME}) -->`, 'g')
const BLOCK = new RegExp(`<!-- figures:(${NAME}) -->(\\n?)([\\s\\S]*?)(\\n?)<!-- /figures:\\1 -->`, 'g')

export class BlockSyntaxError extends Error {}

/** Every block in `text`, in order. Throws `BlockSyntaxError` for an opening marker without its closing one. */
export function findBlocks(text: string, fileName: string): FoundBlock[] {
  const blocks: FoundBlock[] = []
  const closedAt = new Set<number>()
  for (const match of text.matchAll(BLOCK)) {
    closedAt.add(match.index)
    blocks.push({ name: match[1] as string, line: lineOf(text, match.index), content: match[3] as string })
  }
  for (const match of text.matchAll(OPENING)) {
    if (!closedAt.has(match.index)) {
      throw new BlockSyntaxError(
        `${fileName}:${lineOf(text, match.index)}: <!-- figures:${match[1]} --> has no <!-- /figures:${match[1]} --> after it`,
      )
    }
  }
  return blocks
}

/** `text` with every block's content replaced by `render(name)`; a block keeps its inline or block form. */
export function replaceBlocks(text: string, render: (name: string) => string): string {
  return text.replace(BLOCK, (_whole, name: string, open: string) => {
    // A newline after the opening marker makes it a block of lines; without one it stays inline.
    const separator = open === '\n' ? '\n' : ''
    return `<!-- figures:${name} -->${separator}${render(name).trim()}${separator}<!-- /figures:${name} -->`
  })
}

function lineOf(text: string, index: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++
  return line
}
