/** Every relative link in README.md, SECURITY.md and docs/ points at a file that exists, and at a heading that exists. */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listMarkdownFiles } from '../src/docs.js'
import { REPO_ROOT } from '../src/paths.js'

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replaceAll(' ', '-')
}

function anchorsIn(file: string): Set<string> {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '')
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] as string)))
}

const files = listMarkdownFiles()

describe('links in the docs', () => {
  it.each(files)('%s links only to files and headings that exist', (file) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '')
    const broken: string[] = []
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (link === undefined || /^[a-z]+:/.test(link)) continue
      const [path = '', anchor] = link.split('#')
      const target = path === '' ? file : normalize(join(dirname(file), path))
      if (!existsSync(join(REPO_ROOT, target))) broken.push(`${link} (no ${target})`)
      else if (anchor !== undefined && target.endsWith('.md') && !anchorsIn(target).has(anchor)) {
        broken.push(`${link} (no heading #${anchor} in ${target})`)
      }
    }
    expect(broken).toEqual([])
  })
})
