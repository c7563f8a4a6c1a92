/** Where the built apps and the shared fixtures are, found from this file rather than the working directory. */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: this file is `apps/demo/src/*.ts` under tsx and vitest, `apps/demo/dist/*.js` when built. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

/**
 * `shared/` (fixtures and the fake nvidia-smi) sits beside the repository, in CI as in a workspace
 * checkout; `override` (LLM_FLEET_SHARED_DIR) points elsewhere.
 */
export function resolveSharedDir(repoRoot: string, override: string | undefined): string {
  return override === undefined || override === '' ? resolve(repoRoot, '../shared') : resolve(override)
}

/** The built entry points the fleet runs (`pnpm build` or turbo makes them). */
export function binPaths(repoRoot: string) {
  return {
    coordinator: resolve(repoRoot, 'apps/coordinator/dist/main.js'),
    agent: resolve(repoRoot, 'apps/agent/dist/main.js'),
    mockRuntime: resolve(repoRoot, 'packages/mock-runtime/dist/main.js'),
    demo: resolve(repoRoot, 'apps/demo/dist/main.js'),
  }
}

/** The fake nvidia-smi and a capture it prints. */
export function nvidiaSmiPaths(sharedDir: string, capture: string) {
  return {
    fakeNvidiaSmi: resolve(sharedDir, 'tools/fake-nvidia-smi'),
    capture: resolve(sharedDir, 'fixtures/nvidia-smi', capture),
  }
}
