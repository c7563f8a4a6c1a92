import { describe, expect, it } from 'vitest'
import { ConfigSchema, loadConfig, renderHelp, SETTING_NAMES } from './config.js'
import { ConfigError } from './errors.js'

function issuesOf(run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const { command, config } = loadConfig({ env: { COORDINATOR_URL: 'http://10.0.0.2:8080' }, argv: [] })
    expect(command).toBe('run')
    expect(config).toEqual({
      COORDINATOR_URL: ['http://10.0.0.2:8080'],
      RUNTIME_URL: 'http://127.0.0.1:11434',
      RUNTIME_KIND: 'auto',
      MAX_CONCURRENCY: 4,
      PUSH_INTERVAL_MS: 2000,
      BACKOFF_MAX_MS: 30_000,
      NVIDIA_SMI_PATH: 'nvidia-smi',
      NVIDIA_SMI_TIMEOUT_MS: 10_000,
      LOG_LEVEL: 'info',
    })
  })

  it('reads a comma-separated list of coordinators, labels and numbers; flags win over env', () => {
    const { config } = loadConfig({
      env: {
        COORDINATOR_URL: 'http://a:8080, http://b:8080/',
        LABELS: 'zone=eu-1,pool=batch',
        MAX_CONCURRENCY: '8',
        PUSH_INTERVAL_MS: '5000',
        AGENT_TOKEN: 'tok',
      },
      argv: ['--push-interval-ms', '1000', '--runtime-kind', 'openai'],
    })
    expect(config.COORDINATOR_URL).toEqual(['http://a:8080', 'http://b:8080'])
    expect(config.LABELS).toEqual({ zone: 'eu-1', pool: 'batch' })
    expect(config.MAX_CONCURRENCY).toBe(8)
    expect(config.PUSH_INTERVAL_MS).toBe(1000)
    expect(config.RUNTIME_KIND).toBe('openai')
    expect(config.AGENT_TOKEN).toBe('tok')
  })

  it('refuses a RUNTIME_URL or COORDINATOR_URL on a port fetch will not connect to, naming the setting', () => {
    expect(
      issuesOf(() =>
        loadConfig({
          env: { COORDINATOR_URL: 'http://a:8080,http://b:6666', RUNTIME_URL: 'http://127.0.0.1:6000' },
          argv: [],
        }),
      ),
    ).toEqual([
      'COORDINATOR_URL: "http://b:6666" uses port 6666, which fetch refuses to connect to (a "bad port" in the Fetch standard): move the service to another port',
      'RUNTIME_URL: "http://127.0.0.1:6000" uses port 6000, which fetch refuses to connect to (a "bad port" in the Fetch standard): move the service to another port',
    ])
    // The runtimes' usual ports are fine.
    for (const port of ['11434', '8000', '8080', '30000', '1234']) {
      expect(() =>
        loadConfig({
          env: { COORDINATOR_URL: 'http://a:8080', RUNTIME_URL: `http://127.0.0.1:${port}` },
          argv: [],
        }),
      ).not.toThrow()
    }
  })

  it('takes NODE_NAME for the node, so that two agents on one host stay apart', () => {
    const env = { COORDINATOR_URL: 'http://a:8080', NODE_NAME: 'gpu-7-ollama-1' }
    expect(loadConfig({ env, argv: [] }).config.NODE_NAME).toBe('gpu-7-ollama-1')
    expect(
      loadConfig({ env: { COORDINATOR_URL: 'http://a:8080' }, argv: [] }).config.NODE_NAME,
    ).toBeUndefined()
    expect(issuesOf(() => loadConfig({ env: { ...env, NODE_NAME: 'x'.repeat(254) }, argv: [] }))[0]).toMatch(
      /^NODE_NAME: /,
    )
  })

  it('treats an empty or blank env var as unset, and refuses a blank flag', () => {
    const env = { AGENT_TOKEN: '', MAX_CONCURRENCY: ' ', COORDINATOR_URL: 'http://a:8080' }
    const { config } = loadConfig({ env, argv: [] })
    expect(config.AGENT_TOKEN).toBeUndefined()
    expect(config.MAX_CONCURRENCY).toBe(4)
    const issues = issuesOf(() => loadConfig({ env, argv: ['--max-concurrency='] }))
    expect(issues).toEqual(['--max-concurrency: needs a value'])
  })

  it.each([
    [{ PUSH_INTERVAL_MS: 'soon' }, [], /^PUSH_INTERVAL_MS: /],
    [{ PUSH_INTERVAL_MS: '10' }, [], /^PUSH_INTERVAL_MS: must be at least 100/],
    [{}, ['--max-concurrency', '0'], /^--max-concurrency: must be at least 1/],
    [{ RUNTIME_KIND: 'triton' }, [], /^RUNTIME_KIND: must be one of/],
    [{ RUNTIME_URL: 'ftp://x' }, [], /^RUNTIME_URL: .*http/],
    [
      { COORDINATOR_URL: 'http://ok:1,not a url' },
      [],
      /^COORDINATOR_URL: "not a url" must be an absolute URL$/,
    ],
    [
      { COORDINATOR_URL: 'http://user:secret@c:8080' },
      [],
      /^COORDINATOR_URL: "c:8080" must not carry credentials/,
    ],
    [{ COORDINATOR_URL: 'http://c:8080/?a=b' }, [], /^COORDINATOR_URL: .*must not have a query or fragment/],
    // Nothing listens on port 0: every push would fail with a connection error.
    [
      { RUNTIME_URL: 'http://127.0.0.1:0' },
      [],
      /^RUNTIME_URL: "http:\/\/127.0.0.1:0" must include a port other than 0$/,
    ],
    [
      { COORDINATOR_URL: 'http://a:8080,,http://b:8080' },
      [],
      /^COORDINATOR_URL: has an empty entry \(two commas in a row/,
    ],
    [{ ADVERTISE_URL: 'http://10.0.0.7' }, [], /^ADVERTISE_URL: must include a port/],
    [{ LABELS: 'zone' }, [], /^LABELS: .*key=value/],
    [{ LABELS: 'zone=a,zone=b' }, [], /^LABELS: "zone" is given twice/],
    [{ LABELS: '__proto__=x,a=1' }, [], /^LABELS: "__proto__" is a reserved name/],
    [{ LOG_LEVEL: 'loud' }, [], /^LOG_LEVEL: must be one of/],
    // Not a valid header value: sending it threw inside the push loop.
    [{ AGENT_TOKEN: 'tök€n' }, [], /^AGENT_TOKEN: must be printable ASCII without spaces/],
  ])('names the setting of a bad value (%o %o)', (env, argv, message) => {
    const issues = issuesOf(() => loadConfig({ env: { COORDINATOR_URL: 'http://c:8080', ...env }, argv }))
    expect(issues.some((line) => message.test(line))).toBe(true)
  })

  it('takes a trailing comma in COORDINATOR_URL as the end of the list, and refuses a leading one', () => {
    const { config } = loadConfig({ env: { COORDINATOR_URL: 'http://a:8080, http://b:8080,' }, argv: [] })
    expect(config.COORDINATOR_URL).toEqual(['http://a:8080', 'http://b:8080'])
    const issues = issuesOf(() => loadConfig({ env: { COORDINATOR_URL: ',http://a:8080' }, argv: [] }))
    expect(issues).toEqual(['COORDINATOR_URL: has an empty entry (two commas in a row, or one first)'])
  })

  it('requires COORDINATOR_URL to run, but not to sample', () => {
    expect(issuesOf(() => loadConfig({ env: {}, argv: [] }))[0]).toMatch(/^COORDINATOR_URL: is required/)
    expect(loadConfig({ env: {}, argv: ['sample'] }).command).toBe('sample')
  })

  it('rejects unknown flags and commands, and has no flag for the token', () => {
    expect(issuesOf(() => loadConfig({ env: {}, argv: ['--coordinator-ur', 'x'] }))[0]).toMatch(
      /coordinator-ur/,
    )
    expect(issuesOf(() => loadConfig({ env: {}, argv: ['--agent-token', 'x'] }))[0]).toMatch(/agent-token/)
    expect(issuesOf(() => loadConfig({ env: {}, argv: ['serve'] }))[0]).toMatch(/unknown command "serve"/)
  })

  it('lists every setting in --help', () => {
    const help = renderHelp()
    for (const name of SETTING_NAMES) expect(help).toContain(name)
    expect(SETTING_NAMES).toEqual(Object.keys(ConfigSchema.shape))
  })
})
