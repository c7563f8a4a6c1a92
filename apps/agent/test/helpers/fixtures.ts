/** Where the shared nvidia-smi captures and the fake nvidia-smi live (outside the repository). */
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (apps/agent/test/helpers → ../../../..). */
export const REPO_ROOT = resolve(here, '../../../..')
export const AGENT_DIR = resolve(here, '../..')
export const AGENT_MAIN = join(AGENT_DIR, 'dist/main.js')

export const NVIDIA_SMI_FIXTURES =
  process.env.NVIDIA_SMI_FIXTURES ?? resolve(REPO_ROOT, '../shared/fixtures/nvidia-smi')
export const FAKE_NVIDIA_SMI =
  process.env.FAKE_NVIDIA_SMI ?? resolve(REPO_ROOT, '../shared/tools/fake-nvidia-smi')

/** Every `nvidia-smi -q -x` capture, by file name. */
export function listXmlFixtures(): string[] {
  return readdirSync(NVIDIA_SMI_FIXTURES)
    .filter((name) => name.endsWith('.xml'))
    .sort()
}

/** Every `--query-gpu` capture under csv/, by file name. */
export function listCsvFixtures(): string[] {
  return readdirSync(join(NVIDIA_SMI_FIXTURES, 'csv'))
    .filter((name) => name.endsWith('.csv'))
    .sort()
}

export function xmlFixturePath(name: string): string {
  return join(NVIDIA_SMI_FIXTURES, name)
}

export function csvFixturePath(name: string): string {
  return join(NVIDIA_SMI_FIXTURES, 'csv', name)
}
