import { readFileSync } from 'node:fs'
import { join } from 'node:path'
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

  it('runs from the repository itself, whatever the working directory', () => {
    const { repoRoot } = loadDemoConfig({ env: {}, argv: [], isTty: false })
    expect(repoRoot).toBe(REPO_ROOT)
    expect(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).name).toBe('llm-fleet')
  })

  it('rejects an unknown flag, naming it', () => {
    expect(() => loadDemoConfig({ env: {}, argv: ['--keep-runing'], isTty: false })).toThrow(/keep-runing/)
  })
})
