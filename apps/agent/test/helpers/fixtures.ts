/** Where the repository's nvidia-smi captures (fixtures/nvidia-smi) and the stand-in nvidia-smi are. */
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FAKE_NVIDIA_SMI_BIN } from '@llm-fleet/fake-nvidia-smi'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository root (apps/agent/test/helpers → ../../../..). */
export const REPO_ROOT = resolve(here, '../../../..')
export const AGENT_DIR = resolve(here, '../..')
export const AGENT_MAIN = join(AGENT_DIR, 'dist/main.js')

export const NVIDIA_SMI_FIXTURES = join(REPO_ROOT, 'fixtures/nvidia-smi')
/** packages/fake-nvidia-smi's built bin (turbo builds it first: a devDependency); FAKE_NVSMI_XML names the capture. */
export const FAKE_NVIDIA_SMI = FAKE_NVIDIA_SMI_BIN

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

/**
 * A runtime URL nothing answers: connections are refused. Not the discard port 9, which fetch refuses
 * before connecting (a "bad port") and the agent's settings refuse.
 */
export const NOWHERE_URL = 'http://127.0.0.1:2'
