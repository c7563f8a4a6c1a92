/** Renders every block of every markdown file, for `pnpm docs:figures` (write) and the drift test (compare). */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Block } from './block.js'
import { findBlocks, replaceBlocks } from './markdown-blocks.js'
import { REPO_ROOT, RESULTS_DIR } from './paths.js'

/** The markdown files that may hold blocks: the root's `*.md` and everything under `docs/`. */
export function listMarkdownFiles(root = REPO_ROOT): string[] {
  const top = readdirSync(root).filter((name) => name.endsWith('.md'))
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name))
  return [...top, ...docs].sort()
}

export interface RenderedFile {
  /** Relative to the repository root. */
  readonly file: string
  readonly current: string
  readonly expected: string
  /** Names of the blocks whose text differs from what their renderer gives now. */
  readonly stale: readonly string[]
  readonly blockNames: readonly string[]
}

export interface RenderOptions {
  readonly root?: string
  readonly resultsDir?: string
  readonly files?: readonly string[]
}

/** Every markdown file with at least one block, with its text as it is and as the renderers say it should be. */
export function renderDocs(blocks: ReadonlyMap<string, Block>, options: RenderOptions = {}): RenderedFile[] {
  const root = options.root ?? REPO_ROOT
  const render = blockRenderer(blocks, options.resultsDir ?? RESULTS_DIR)
  const rendered: RenderedFile[] = []
  for (const file of options.files ?? listMarkdownFiles(root)) {
    const current = readFileSync(join(root, file), 'utf8')
    const found = findBlocks(current, file)
    if (found.length === 0) continue
    for (const { name, line } of found) {
      if (!blocks.has(name)) {
        throw new Error(`${file}:${line}: no renderer for block "${name}" (expected src/blocks/${name}.ts)`)
      }
    }
    const stale = found
      .filter(({ name, content }) => content.trim() !== render(name, file))
      .map(({ name }) => name)
    const expected = replaceBlocks(current, (name) => render(name, file))
    rendered.push({ file, current, expected, stale, blockNames: found.map(({ name }) => name) })
  }
  return rendered
}

/** Renders a block once per run (a block may appear in several files) and names the block in any error. */
function blockRenderer(blocks: ReadonlyMap<string, Block>, resultsDir: string) {
  const cache = new Map<string, string>()
  return (name: string, file: string): string => {
    const cached = cache.get(name)
    if (cached !== undefined) return cached
    const block = blocks.get(name) as Block
    let text: string
    try {
      text = block.render(block.results === null ? undefined : readResults(resultsDir, block.results)).trim()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new Error(`block "${name}" (in ${file}): ${message}`, { cause: error })
    }
    cache.set(name, text)
    return text
  }
}

function readResults(resultsDir: string, file: string): unknown {
  const path = join(resultsDir, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new Error(`${relative(process.cwd(), path)} does not exist: run its benchmark, or drop the block`)
  }
  return JSON.parse(text)
}
