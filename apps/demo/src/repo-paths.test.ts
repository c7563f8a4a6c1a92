import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nvidiaSmiCapturePath, REPO_ROOT } from './repo-paths.js'
import { DEMO_HOSTS } from './simulated-host.js'

describe('the demo hosts’ nvidia-smi captures', () => {
  it.each(DEMO_HOSTS.map((host) => [host.name, host.nvidiaSmiCapture]))(
    '%s prints %s, which is in the repository’s fixtures/nvidia-smi',
    (_, capture) => {
      const path = nvidiaSmiCapturePath(REPO_ROOT, capture)
      expect(path.startsWith(`${REPO_ROOT}/fixtures/nvidia-smi/`)).toBe(true)
      expect(existsSync(path)).toBe(true)
    },
  )
})
