import { describe, expect, it } from 'vitest'
import { grouped, significant, table } from './format.js'

describe('format', () => {
  it('groups thousands with a space and rounds the decimal written in the JSON half up', () => {
    expect(grouped(40_000)).toBe('40 000')
    expect(grouped(1_202_305.37)).toBe('1 202 305')
    expect(grouped(9.485, 2)).toBe('9.49')
    expect(grouped(-1234.5)).toBe('−1 235')
  })

  it('keeps three significant digits without trailing zeros', () => {
    expect(significant(9.485)).toBe('9.49')
    expect(significant(0.0733)).toBe('0.0733')
    expect(significant(24.0013)).toBe('24')
    expect(significant(7.7)).toBe('7.7')
    expect(significant(1144.7)).toBe('1 145')
    expect(significant(0)).toBe('0')
  })

  it('escapes pipes in cells and aligns columns', () => {
    expect(table(['a', 'b'], [['x|y', '1']], 'lr')).toBe('| a | b |\n| --- | ---: |\n| x\\|y | 1 |')
  })
})
