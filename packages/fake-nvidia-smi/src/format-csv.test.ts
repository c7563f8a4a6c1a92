import { describe, expect, it } from 'vitest'
import { csvHeader, csvValue } from './format-csv.js'

describe('csvValue', () => {
  it.each([
    ['81559 MiB', 'memory.total', true, '81559 MiB'],
    ['81559 MiB', 'memory.total', false, '81559'],
    ['70.93 W', 'power.draw', false, '70.93'],
    ['0 %', 'utilization.gpu', false, '0'],
    ['1980 MHz', 'clocks.max.sm', false, '1980'],
    ['N/A', 'power.draw', true, '[N/A]'],
    ['N/A', 'power.draw', false, '[N/A]'],
    ['[N/A]', 'fan.speed', false, '[N/A]'],
    ['Not Supported', 'memory.used', false, '[Not Supported]'],
    ['[Not Supported]', 'memory.used', true, '[Not Supported]'],
    ['NVIDIA GeForce RTX 3080', 'name', false, 'NVIDIA GeForce RTX 3080'],
  ])('%s (%s, units %s) → %s', (raw, field, units, expected) => {
    expect(csvValue(raw, field, units)).toBe(expected)
  })
})

describe('csvHeader', () => {
  it('adds units only with units on', () => {
    const fields = ['index', 'memory.used', 'temperature.gpu', 'power.draw']
    expect(csvHeader(fields, { header: true, units: true })).toBe(
      'index, memory.used [MiB], temperature.gpu, power.draw [W]',
    )
    expect(csvHeader(fields, { header: true, units: false })).toBe(
      'index, memory.used, temperature.gpu, power.draw',
    )
  })
})
