/** Where the built apps and the nvidia-smi captures are, found from this file rather than the working directory. */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: this file is `apps/demo/src/*.ts` under tsx and vitest, `apps/demo/dist/*.js` when built. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

/** The built entry points the fleet runs (`pnpm build` or turbo makes them). */
export function binPaths(repoRoot: string) {
  return {
    coordinator: resolve(repoRoot, 'apps/coordinator/dist/main.js'),
    agent: resolve(repoRoot, 'apps/agent/dist/main.js'),
    mockRuntime: resolve(repoRoot, 'packages/mock-runtime/dist/main.js'),
    /** The stand-in nvidia-smi each agent runs (NVIDIA_SMI_PATH); executable, Node.js only. */
    fakeNvidiaSmi: resolve(repoRoot, 'packages/fake-nvidia-smi/dist/main.js'),
    demo: resolve(repoRoot, 'apps/demo/dist/main.js'),
  }
}

/** A real capture in the repository's fixtures/nvidia-smi, which the host's fake nvidia-smi prints. */
export function nvidiaSmiCapturePath(repoRoot: string, capture: string): string {
  return resolve(repoRoot, 'fixtures/nvidia-smi', capture)
}
