import { describe, expect, it } from 'vitest'
import { ConfigSchema, helpText, isLoopbackHost, loadConfig, SETTINGS } from './config.js'
import { createBalancerState } from './core/balancer/strategy.js'

function rejection(input: { env?: Record<string, string>; argv?: string[] }): {
  code: unknown
  message: string
} {
  try {
    loadConfig({ env: input.env ?? {}, argv: input.argv ?? [] })
  } catch (error) {
    if (!(error instanceof Error)) throw error
    return { code: (error as Error & { code?: unknown }).code, message: error.message }
  }
  throw new Error('expected the configuration to be rejected')
}

describe('loadConfig', () => {
  it('reads ALLOWED_ORIGINS as a list of origins and names the entry that is not one', () => {
    expect(
      loadConfig({ env: { ALLOWED_ORIGINS: 'https://chat.example.com, http://10.0.0.5:*,' }, argv: [] })
        .allowedOrigins,
    ).toEqual(['https://chat.example.com', 'http://10.0.0.5:*'])
    expect(loadConfig({ env: {}, argv: [] }).allowedOrigins).toEqual([])
    expect(() => loadConfig({ env: {}, argv: ['--allowed-origins=https://chat.example.com/app'] })).toThrow(
      /--allowed-origins.*"https:\/\/chat.example.com\/app" is not an origin/,
    )
  })

  it('accepts a redis:// or rediss:// SHARED_STATE_URL and names the setting for anything else', () => {
    expect(
      loadConfig({ env: { SHARED_STATE_URL: 'redis://10.0.0.9:6379/0' }, argv: [] }).sharedStateUrl,
    ).toBe('redis://10.0.0.9:6379/0')
    expect(() => loadConfig({ env: { SHARED_STATE_URL: 'http://10.0.0.9:6379' }, argv: [] })).toThrow(
      'SHARED_STATE_URL: must be a redis:// or rediss:// URL',
    )
  })

  it('has a documented default for every setting', () => {
    expect(loadConfig({ env: {}, argv: [] })).toEqual({
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      insecure: false,
      loadBalancerMode: 'fastest-finish',
      pushIntervalMs: 2_000,
      agentTtlMs: 6_000,
      maxNodes: 10_000,
      bodyLimitBytes: 1_048_576,
      inferenceBodyLimitBytes: 67_108_864,
      busyCpuPct: 80,
      busyGpuPct: 90,
      coolDownMs: 30_000,
      readyTimeoutMs: 10_000,
      shutdownReadyGraceMs: 0,
      sharedStateHeartbeatMs: 1000,
      allowedOrigins: [],
      apiKeys: [],
      upstreamHeadersTimeoutMs: 300_000,
      upstreamBodyTimeoutMs: 120_000,
      maxRetries: 2,
      shutdownGraceMs: 30_000,
      queueWhenBusy: false,
      queueMax: 1024,
      queueTimeoutMs: 30_000,
      balancerHalfLifeMs: 30_000,
      balancerWaitingWeight: 8,
      prefixIndexMaxEntries: 1_048_576,
      prefixCacheTtlMs: 600_000,
    })
  })

  it('balances with the same mode by default as a balancer state made without one', () => {
    expect(createBalancerState(() => 0).mode).toBe(loadConfig({ env: {}, argv: [] }).loadBalancerMode)
  })

  it('reads the environment', () => {
    const config = loadConfig({
      env: {
        HOST: '10.0.0.1',
        PORT: '9000',
        AGENT_TOKEN: 's3cret',
        LOAD_BALANCER_MODE: 'metrics',
        PUSH_INTERVAL_MS: '500',
        API_KEYS: 'k1, k2,,',
        BUSY_CPU_PCT: '75.5',
        LOG_LEVEL: 'debug',
      },
      argv: [],
    })
    expect(config).toMatchObject({
      host: '10.0.0.1',
      port: 9000,
      agentToken: 's3cret',
      loadBalancerMode: 'metrics',
      pushIntervalMs: 500,
      agentTtlMs: 1_500,
      apiKeys: ['k1', 'k2'],
      busyCpuPct: 75.5,
      logLevel: 'debug',
    })
  })

  it('lets flags override the environment, and treats empty variables as unset', () => {
    const config = loadConfig({
      env: { PORT: '9000', LOAD_BALANCER_MODE: 'metrics', MAX_NODES: '', MAX_RETRIES: '  ' },
      argv: ['--port', '9100', '--load-balancer-mode=round-robin', '--agent-ttl-ms', '10000'],
    })
    expect(config).toMatchObject({
      port: 9100,
      loadBalancerMode: 'round-robin',
      agentTtlMs: 10_000,
      maxNodes: 10_000,
      maxRetries: 2,
    })
  })

  it('refuses a blank flag, which a number would read as 0', () => {
    const { message } = rejection({ env: {}, argv: ['--port=', '--max-retries', ' '] })
    expect(message.split('\n').slice(1)).toEqual(['--port: needs a value', '--max-retries: needs a value'])
  })

  it.each([
    [{ PORT: '70000' }, [], 'PORT: must be at most 65535'],
    [{ PORT: 'eighty' }, [], 'PORT: must be number'],
    [{}, ['--port=-1'], '--port: must be at least 0'],
    [
      { LOAD_BALANCER_MODE: 'fastest' },
      [],
      'LOAD_BALANCER_MODE: must be one of "spec", "round-robin", "metrics"',
    ],
    [{ PUSH_INTERVAL_MS: '10' }, [], 'PUSH_INTERVAL_MS: must be at least 100'],
    [{ BUSY_GPU_PCT: '101' }, [], 'BUSY_GPU_PCT: must be at most 100'],
    [{ MAX_RETRIES: '1.5' }, [], 'MAX_RETRIES: must be int'],
    // V8 builds no string over 536870888 characters on 64-bit Node: a bigger body could never parse.
    [
      { INFERENCE_BODY_LIMIT_BYTES: String(1024 ** 3) },
      [],
      'INFERENCE_BODY_LIMIT_BYTES: must be at most 536870888',
    ],
    [{ API_KEYS: ' , ' }, [], 'API_KEYS: must have at least 1 items'],
    [{ API_KEYS: 'good,two words' }, [], 'API_KEYS[1]: must be printable ASCII without spaces'],
    [{ AGENT_TOKEN: 'two words' }, [], 'AGENT_TOKEN: must be printable ASCII without spaces'],
    [{ AGENT_TTL_MS: '1000' }, [], 'AGENT_TTL_MS: must be at least the push interval'],
    [{}, ['--prot', '1'], "Unknown option '--prot'"],
  ] as const)('rejects %o %o naming the setting', (env, argv, expected) => {
    const { code, message } = rejection({ env, argv: [...argv] })
    expect(code).toBe('FLEET_CONFIG_INVALID')
    expect(message).toContain(expected)
  })

  it('lists every bad setting, one per line', () => {
    const { message } = rejection({ env: { PORT: 'x', MAX_NODES: '0' } })
    expect(message.split('\n').slice(1)).toEqual(['PORT: must be number', 'MAX_NODES: must be at least 1'])
  })

  it('refuses a non-loopback HOST without AGENT_TOKEN unless --insecure', () => {
    const { code, message } = rejection({ env: { HOST: '0.0.0.0' } })
    expect(code).toBe('FLEET_CONFIG_INVALID')
    expect(message).toContain('HOST: 0.0.0.0 is not a loopback address and AGENT_TOKEN is unset')
    expect(message).toContain('--insecure')
    expect(loadConfig({ env: { HOST: '0.0.0.0' }, argv: ['--insecure'] }).insecure).toBe(true)
    expect(loadConfig({ env: { HOST: '0.0.0.0', AGENT_TOKEN: 't' }, argv: [] }).host).toBe('0.0.0.0')
  })

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['127.example.com', false],
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({ env: {}, argv: [] }))).toBe(true)
  })
})

describe('documentation of the settings', () => {
  it('describes every ConfigSchema key, and only those, in SETTINGS and --help', () => {
    expect(Object.keys(SETTINGS).sort()).toEqual(Object.keys(ConfigSchema.shape).sort())
    const help = helpText()
    for (const { env, flag } of Object.values(SETTINGS)) {
      if (env !== null) expect(help).toContain(env)
      if (flag !== null) expect(help).toContain(`--${flag}`)
    }
  })
})
