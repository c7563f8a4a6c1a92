import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadDemoConfig } from './config.js'
import { REPO_ROOT } from './repo-paths.js'

describe('loadDemoConfig', () => {
  it('is interactive on a terminal, and then keeps the fleet running', () => {
    expect(loadDemoConfig({ env: {}, argv: [], isTty: true })).toMatchObject({
      isInteractive: true,
      isKeptRunning: true,
      isHelp: false,
    })
  })

  it.each([
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{}, false],
  ])('runs a fixed set of requests without a terminal or under CI (%o, tty %s)', (env, isTty) => {
    expect(loadDemoConfig({ env, argv: [], isTty })).toMatchObject({
      isInteractive: false,
      isKeptRunning: false,
    })
  })

  it('treats CI=false as no CI', () => {
    expect(loadDemoConfig({ env: { CI: 'false' }, argv: [], isTty: true }).isInteractive).toBe(true)
  })

  it('keeps the fleet running without a terminal when asked', () => {
    expect(
      loadDemoConfig({ env: { CI: 'true' }, argv: ['--keep-running'], isTty: false }).isKeptRunning,
    ).toBe(true)
  })

  it('finds shared/ beside the repository unless LLM_FLEET_SHARED_DIR says otherwise', () => {
    expect(loadDemoConfig({ env: {}, argv: [], isTty: false }).sharedDir).toBe(
      join(dirname(REPO_ROOT), 'shared'),
    )
    expect(
      loadDemoConfig({ env: { LLM_FLEET_SHARED_DIR: '/srv/shared' }, argv: [], isTty: false }).sharedDir,
    ).toBe('/srv/shared')
  })

  it('rejects an unknown flag, naming it', () => {
    expect(() => loadDemoConfig({ env: {}, argv: ['--keep-runing'], isTty: false })).toThrow(/keep-runing/)
  })
})
