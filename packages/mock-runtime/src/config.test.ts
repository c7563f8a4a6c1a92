import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'

describe('loadConfig', () => {
  it('has defaults for every setting', () => {
    expect(loadConfig({ argv: [], env: {} })).toEqual({
      kind: 'ok',
      config: {
        kind: 'ollama',
        profile: 'a100',
        port: 11434,
        host: '127.0.0.1',
        models: ['llama3.1:8b'],
        speedScale: 1,
        fault: 'ok',
        server: 'vllm',
      },
    })
  })

  it('defaults the port to 8000 for the openai kind', () => {
    const result = loadConfig({ argv: ['--kind', 'openai'], env: {} })
    expect(result.kind === 'ok' && result.config.port).toBe(8000)
  })

  it('reads env, and flags win over env', () => {
    const result = loadConfig({
      argv: ['--profile', 't4', '--models', 'a:1b, b:2b'],
      env: { MOCK_RUNTIME_PROFILE: 'h100', SPEED_SCALE: '50', MOCK_RUNTIME_PORT: '0' },
    })
    expect(result).toMatchObject({
      kind: 'ok',
      config: { profile: 't4', speedScale: 50, port: 0, models: ['a:1b', 'b:2b'] },
    })
  })

  it('treats an empty or blank variable as unset, and refuses a blank flag', () => {
    const env = { MOCK_RUNTIME_PORT: '', MOCK_RUNTIME_HOST: ' ' }
    expect(loadConfig({ argv: [], env })).toMatchObject({
      kind: 'ok',
      config: { port: 11434, host: '127.0.0.1' },
    })
    expect(loadConfig({ argv: ['--port='], env })).toEqual({
      kind: 'invalid',
      problems: ['--port: needs a value'],
    })
  })

  it.each([
    { argv: ['--profile', 'gtx-480'], setting: '--profile (MOCK_RUNTIME_PROFILE)' },
    { argv: ['--speed-scale', '0'], setting: '--speed-scale (SPEED_SCALE)' },
    { argv: ['--port', '70000'], setting: '--port (MOCK_RUNTIME_PORT)' },
    { argv: ['--fault', 'explode'], setting: '--fault (MOCK_RUNTIME_FAULT)' },
    { argv: ['--models', ','], setting: '--models (MOCK_RUNTIME_MODELS)' },
    { argv: ['--colour'], setting: '--colour' },
  ])('names the setting when $argv is invalid', ({ argv, setting }) => {
    const result = loadConfig({ argv, env: {} })
    expect(result.kind).toBe('invalid')
    expect(result.kind === 'invalid' && result.problems.join('\n')).toContain(setting)
  })

  it('--help asks for the help text', () => {
    expect(loadConfig({ argv: ['--help'], env: {} })).toEqual({ kind: 'help' })
  })
})
