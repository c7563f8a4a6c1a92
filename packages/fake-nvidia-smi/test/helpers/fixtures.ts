/** The repository's nvidia-smi captures (fixtures/nvidia-smi at the repository root). */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES_DIR = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../../fixtures/nvidia-smi',
)

/** Every `-q -x` capture, so a capture added to the folder is tested without a code change. */
export const XML_CAPTURES = readdirSync(FIXTURES_DIR)
  .filter((name) => name.endsWith('.xml'))
  .sort()

export function capturePath(name: string): string {
  return join(FIXTURES_DIR, name)
}

export function readCaptureText(name: string): string {
  return readFileSync(capturePath(name), 'utf8')
}

/** A real `--query-gpu --format=csv` capture (csv/): each header column with the first GPU's value. */
export function realCsvColumns(name: string): Map<string, string> {
  const [header = '', values = ''] = readFileSync(join(FIXTURES_DIR, 'csv', name), 'utf8').split(/\r?\n/)
  const cells = values.split(', ')
  return new Map(header.split(', ').map((column, at) => [column, cells[at] ?? '']))
}
