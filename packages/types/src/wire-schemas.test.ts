import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { metrics, registration } from '../test/samples.js'
import {
  AgentMetrics,
  AgentRegistration,
  formatZodError,
  GpuDevice,
  MAX_COMPUTE_SCORE,
  MAX_MODEL_NAME_LENGTH,
  MAX_MODELS,
  PublicRegistration,
  RegistrationAccepted,
  toJsonSchemas,
} from './index.js'

/** Parses and returns the one-line error, or fails the test when the input is accepted. */
function rejection(
  schema: { safeParse: (input: unknown) => { success: boolean; error?: unknown } },
  input: unknown,
) {
  const result = schema.safeParse(input)
  expect(result.success, 'expected the input to be rejected').toBe(false)
  return formatZodError(result.error as Parameters<typeof formatZodError>[0])
}

describe('accepts real-looking samples', () => {
  it('a registration of an A100 host with MIG', () => {
    expect(AgentRegistration.parse(registration())).toEqual(registration())
  })
  it('a CPU-only registration with no GPU and no driver', () => {
    const cpuOnly = registration({ gpus: [], driverVersion: null, cudaVersion: null, computeScore: 0 })
    delete cpuOnly.labels
    expect(AgentRegistration.safeParse(cpuOnly).success).toBe(true)
  })
  it('a metrics sample, and one with every nullable field null', () => {
    expect(AgentMetrics.parse(metrics())).toEqual(metrics())
    const bare = metrics({ gpus: [], gpuUsage: null, gpuMemoryUsage: null, avgResponseTimeMs: null })
    expect(AgentMetrics.safeParse(bare).success).toBe(true)
  })
  it('timestamps with an offset', () => {
    expect(AgentMetrics.safeParse(metrics({ timestamp: '2026-11-24T08:30:00+01:00' })).success).toBe(true)
  })
  it('IPv6 and https runtime URLs with a path prefix', () => {
    for (const url of ['http://[::1]:11434', 'https://gpu-7.internal:443/vllm', 'http://gpu-1:80']) {
      expect(
        AgentRegistration.safeParse(registration({ runtime: { kind: 'openai', url } })).success,
        url,
      ).toBe(true)
    }
  })
})

describe('rejects with a message naming the field', () => {
  it.each([
    ['a negative count', { activeRequests: -1 }, 'activeRequests: must be at least 0'],
    ['a fractional count', { activeRequests: 1.5 }, 'activeRequests: must be int'],
    ['a percentage over 100', { cpuUsage: 100.1 }, 'cpuUsage: must be at most 100'],
    ['a negative percentage', { memoryUsage: -3 }, 'memoryUsage: must be at least 0'],
    ['NaN', { gpuUsage: Number.NaN }, 'gpuUsage: must be number'],
    ['Infinity', { avgResponseTimeMs: Number.POSITIVE_INFINITY }, 'avgResponseTimeMs: must be number'],
    ['a wrong type', { cpuUsage: '12' }, 'cpuUsage: must be number'],
    ['a bad timestamp', { timestamp: 'yesterday' }, 'timestamp: must be a valid datetime'],
    ['an id with a slash', { agentId: '../x' }, 'agentId: must contain only letters'],
  ])('metrics with %s', (_what, overrides, expected) => {
    expect(rejection(AgentMetrics, { ...metrics(), ...overrides })).toContain(expected)
  })

  it('a nested GPU value over its bound, with the path to it', () => {
    const sample = metrics()
    const gpu = sample.gpus[0]
    if (gpu === undefined) throw new Error('sample has a GPU')
    expect(rejection(AgentMetrics, { ...sample, gpus: [{ ...gpu, utilizationPct: 250 }] })).toBe(
      'gpus[0].utilizationPct: must be at most 100',
    )
  })

  it('a GPU listed twice, in a push and in a registration', () => {
    const sample = metrics()
    const [gpu] = sample.gpus
    if (gpu === undefined) throw new Error('sample has a GPU')
    expect(rejection(AgentMetrics, { ...sample, gpus: [gpu, { ...gpu, uuid: 'GPU-other' }] })).toBe(
      'gpus[1].index: repeats GPU index 0',
    )
    const host = registration()
    const devices = [...host.gpus, { ...host.gpus[0], uuid: 'GPU-other' }]
    expect(rejection(AgentRegistration, { ...host, gpus: devices })).toBe(
      `gpus[${host.gpus.length}].index: repeats GPU index 0`,
    )
  })

  it('a GPU using more VRAM than it has, at its place in the list', () => {
    const sample = metrics()
    const [gpu] = sample.gpus
    if (gpu === undefined) throw new Error('sample has a GPU')
    const overfull = { ...gpu, vramTotalMiB: 1024, vramUsedMiB: 1025 }
    expect(rejection(AgentMetrics, { ...sample, gpus: [overfull] })).toBe(
      'gpus[0].vramUsedMiB: must be at most vramTotalMiB (1024)',
    )
    // Full to the last MiB is a real reading; a total of 0 is one the driver hid, which older agents
    // sent beside the use.
    const accepts = (gpu: typeof overfull) => AgentMetrics.safeParse({ ...sample, gpus: [gpu] }).success
    expect(accepts({ ...overfull, vramUsedMiB: 1024 })).toBe(true)
    expect(accepts({ ...overfull, vramTotalMiB: 0 })).toBe(true)
  })

  it('a missing required field', () => {
    const { cpuUsage: _dropped, ...rest } = metrics()
    expect(rejection(AgentMetrics, rest)).toBe('cpuUsage: is required')
  })

  it('unknown keys, at the top and nested', () => {
    expect(rejection(AgentMetrics, { ...metrics(), extra: 1 })).toBe('extra: is not a known field')
    expect(
      rejection(AgentMetrics, { ...metrics(), runtime: { up: true, models: [], loadedModels: [], x: 1 } }),
    ).toBe('runtime.x: is not a known field')
  })

  it('strings and arrays over their bounds', () => {
    const longName = 'm'.repeat(MAX_MODEL_NAME_LENGTH + 1)
    expect(rejection(AgentRegistration, registration({ models: [longName] }))).toBe(
      `models[0]: must be at most ${MAX_MODEL_NAME_LENGTH} characters`,
    )
    const tooMany = Array.from({ length: MAX_MODELS + 1 }, (_, i) => `m${i}`)
    expect(rejection(AgentRegistration, registration({ models: tooMany }))).toBe(
      `models: must have at most ${MAX_MODELS} items`,
    )
    expect(rejection(AgentRegistration, registration({ hostname: '' }))).toBe(
      'hostname: must be at least 1 characters',
    )
  })

  it('a compute score past any real host', () => {
    expect(rejection(AgentRegistration, registration({ computeScore: MAX_COMPUTE_SCORE + 1 }))).toBe(
      `computeScore: must be at most ${MAX_COMPUTE_SCORE}`,
    )
  })

  it('a runtime kind that is not ollama or openai', () => {
    const body = { ...registration(), runtime: { kind: 'tgi', url: 'http://h:1' } }
    expect(rejection(AgentRegistration, body)).toBe('runtime.kind: must be one of "ollama", "openai"')
  })

  it.each([
    ['ftp://h:21', 'must use http or https'],
    ['http://gpu-1', 'must include a port'],
    ['http://gpu-1/a:12/', 'must include a port'],
    ['http://gpu-1:0', 'must include a port other than 0'],
    ['http://user:pw@gpu-1:11434', 'must not carry credentials'],
    ['http://gpu-1:11434/?next=http://evil:1', 'must not have a query or fragment'],
    ['not a url', 'must be an absolute URL'],
  ])('an advertised runtime URL %s', (url, expected) => {
    expect(rejection(AgentRegistration, registration({ runtime: { kind: 'ollama', url } }))).toBe(
      `runtime.url: ${expected}`,
    )
  })

  it('a GPU with a malformed compute capability and a negative VRAM', () => {
    const gpu: unknown = { ...registration().gpus[0], computeCapability: 'sm_89', vramTotalMiB: -1 }
    expect(rejection(GpuDevice, gpu)).toBe(
      'vramTotalMiB: must be at least 0; computeCapability: must look like "8.9"',
    )
  })

  it('too many labels', () => {
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))
    expect(rejection(AgentRegistration, registration({ labels }))).toBe('labels: at most 64 labels')
  })

  it('a push interval below the floor', () => {
    expect(rejection(RegistrationAccepted, { agentId: 'a', pushIntervalMs: 5 })).toBe(
      'pushIntervalMs: must be at least 100',
    )
  })

  it('renames the top-level key for CLI messages', () => {
    const result = AgentMetrics.safeParse({ ...metrics(), cpuUsage: 101 })
    if (result.success) throw new Error('expected a rejection')
    expect(formatZodError(result.error, (key) => key.toUpperCase())).toBe('CPUUSAGE: must be at most 100')
  })

  it('says "above" and "below" for exclusive bounds, which "at least" would misstate', () => {
    const result = z
      .object({ speed: z.number().positive(), share: z.number().lt(1) })
      .safeParse({ speed: 0, share: 1 })
    expect(result.success).toBe(false)
    expect(formatZodError(result.error as Parameters<typeof formatZodError>[0])).toBe(
      'speed: must be above 0; share: must be below 1',
    )
  })
})

describe('JSON Schema export', () => {
  it('describes every wire message with its required fields and bounds', () => {
    const schemas = toJsonSchemas()
    expect(Object.keys(schemas).sort()).toEqual([
      'AgentMetrics',
      'AgentRegistration',
      'FleetNode',
      'GpuDevice',
      'RegistrationAccepted',
    ])
    const metricsSchema = schemas.AgentMetrics as {
      required: string[]
      additionalProperties: boolean
      properties: Record<string, { maximum?: number }>
    }
    expect(metricsSchema.required).toContain('cpuUsage')
    expect(metricsSchema.additionalProperties).toBe(false)
    expect(metricsSchema.properties.cpuUsage?.maximum).toBe(100)
  })
})

describe('runtime details and keys (issue 12)', () => {
  const detail = {
    name: 'llama3.1:8b',
    sizeBytes: 4_920_753_328,
    digest: '46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e',
    modifiedAt: '2026-11-20T10:00:00.123456789+01:00',
    details: {
      parentModel: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameterSize: '8.0B',
      quantizationLevel: 'Q4_K_M',
    },
  }

  it('accepts model details, loaded models, a runtime version and key; all optional', () => {
    const withDetails = registration({
      modelDetails: [detail],
      runtime: { kind: 'openai', url: 'http://10.0.0.7:8000', version: '0.6.4', apiKey: 'sk-vllm-1' },
    })
    expect(AgentRegistration.parse(withDetails)).toEqual(withDetails)
    const loaded = [{ name: 'llama3.1:8b', sizeBytes: 6e9, sizeVramBytes: 6e9, expiresAt: null }]
    const sample = metrics({ runtime: { up: true, models: ['llama3.1:8b'], loadedModels: [], loaded } })
    expect(AgentMetrics.parse(sample)).toEqual(sample)
  })

  it('bounds them', () => {
    expect(
      rejection(AgentRegistration, registration({ modelDetails: Array(MAX_MODELS + 1).fill(detail) })),
    ).toContain('modelDetails')
    const longDigest = { ...detail, digest: 'a'.repeat(161) }
    expect(rejection(AgentRegistration, registration({ modelDetails: [longDigest] }))).toContain('digest')
    const spaced = registration({ runtime: { kind: 'openai', url: 'http://10.0.0.7:8000', apiKey: 'a b' } })
    expect(rejection(AgentRegistration, spaced)).toContain('runtime.apiKey')
  })

  it('keeps the key out of what the coordinator shows', () => {
    expect(
      PublicRegistration.safeParse(
        registration({ runtime: { kind: 'ollama', url: 'http://h:1', apiKey: 'k' } }),
      ).success,
    ).toBe(false)
    expect(JSON.stringify(toJsonSchemas().FleetNode)).not.toContain('apiKey')
  })
})
