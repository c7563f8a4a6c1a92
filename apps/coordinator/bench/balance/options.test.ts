/** `pnpm bench:balance`'s command line: every bad setting is named before any run starts. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BASE_SEED, DEFAULT_REQUESTS, readOptions } from './options.js'

describe('bench:balance options', () => {
  it('runs everything on the published seeds by default, and that run writes its results', () => {
    const options = readOptions([])
    expect(options).toMatchObject({
      requests: DEFAULT_REQUESTS,
      seeds: [BASE_SEED, BASE_SEED + 1, BASE_SEED + 2, BASE_SEED + 3, BASE_SEED + 4],
      loads: [0.3, 0.5, 0.7, 0.85, 0.95],
      workloads: ['chat', 'rag', 'agentic', 'long-tail'],
      isFull: true,
      write: false,
    })
  })

  it('does not count a shorter or narrowed run as the full one', () => {
    expect(readOptions(['--requests', '1000'])).toMatchObject({ isFull: false })
    expect(readOptions(['--loads', '0.5'])).toMatchObject({ isFull: false, loads: [0.5] })
    expect(readOptions(['--first-seed', '7000', '--seeds', '2'])).toMatchObject({
      isFull: false,
      seeds: [7000, 7001],
    })
  })

  it.each([
    [['--requests', '100'], '--requests must be an integer ≥ 200, got "100"'],
    [['--seeds', '0'], '--seeds must be a positive integer, got "0"'],
    [['--first-seed', '1.5'], '--first-seed must be an integer, got "1.5"'],
    [['--workers', 'two'], '--workers must be a positive integer, got "two"'],
    [['--loads', '0.5,1'], '--loads must be fractions between 0 and 1, got "0.5,1"'],
    [['--workloads', 'chat,chats'], '--workloads: no workload "chats" (chat, rag, agentic, long-tail)'],
  ])('names the setting in %j', (argv, error) => {
    expect(readOptions(argv)).toEqual({ error })
  })

  it('names an unknown router and an unknown option', () => {
    expect(readOptions(['--strategies', 'llm-d,nginx'])).toMatchObject({
      error: expect.stringMatching(/^--strategies: no router "nginx" \(random, .*llm-d/),
    })
    expect(readOptions(['--request', '5'])).toMatchObject({ error: expect.stringContaining("'--request'") })
  })

  it('exits 2 with one line naming the setting, before any run', async () => {
    const run = fileURLToPath(new URL('./run.ts', import.meta.url))
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', run, '--seeds', '0'], (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number), stderr }),
      )
    })
    expect(result).toEqual({
      code: 2,
      stderr: 'bench:balance: --seeds must be a positive integer, got "0"\n',
    })
  })
})
