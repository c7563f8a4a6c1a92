/** Finds the block renderers: every `src/blocks/<name>.ts`, by name. */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Block } from './block.js'
import { BLOCKS_DIR } from './paths.js'

export async function loadBlocks(dir = BLOCKS_DIR): Promise<Map<string, Block>> {
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort()
  const blocks = new Map<string, Block>()
  for (const name of names) {
    const module = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { default?: Block }
    if (typeof module.default?.render !== 'function') {
      throw new Error(`${join(dir, name)}.ts must export a Block (fromResults or fromCode) as its default`)
    }
    blocks.set(name, module.default)
  }
  return blocks
}
