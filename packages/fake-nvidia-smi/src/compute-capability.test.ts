import { describe, expect, it } from 'vitest'
import { computeCapability } from './compute-capability.js'

describe('computeCapability', () => {
  it.each([
    ['NVIDIA H100 80GB HBM3', '9.0'],
    ['NVIDIA A100-SXM4-80GB', '8.0'],
    ['NVIDIA A10G', '8.6'],
    ['NVIDIA L40S', '8.9'],
    ['NVIDIA GeForce RTX 3090', '8.6'],
    ['NVIDIA GeForce RTX 2080', '7.5'],
    ['GeForce RTX 2080 Ti', '7.5'],
    ['Tesla T4', '7.5'],
    ['GeForce GTX 1070', '6.1'],
    ['Quadro P400', '6.1'],
    ['Graphics Device', '[N/A]'],
  ])('%s → %s', (name, expected) => {
    expect(computeCapability(name)).toBe(expected)
  })
})
