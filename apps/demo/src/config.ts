/** The demo's few settings, read from the environment in this one place. Pure: tests pass objects. */
import { REPO_ROOT, resolveSharedDir } from './repo-paths.js'

export interface DemoConfig {
  /**
   * A person is watching: colors, a live view, pauses between waves, and the fleet left running at
   * the end. False under CI (`CI` set to anything but `false`/`0`) or when stdout is not a terminal:
   * then a fixed run, and the exit code says whether every request succeeded.
   */
  readonly isInteractive: boolean
  readonly repoRoot: string
  /** `shared/` beside the repository, or `LLM_FLEET_SHARED_DIR`. */
  readonly sharedDir: string
}

export function loadDemoConfig(input: {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly isTty: boolean
}): DemoConfig {
  const ci = input.env.CI
  const isCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
  return {
    isInteractive: input.isTty && !isCi,
    repoRoot: REPO_ROOT,
    sharedDir: resolveSharedDir(REPO_ROOT, input.env.LLM_FLEET_SHARED_DIR),
  }
}
