import { describe, expect, it } from 'vitest'
import { readSettingValue } from './setting-value.js'

describe('readSettingValue', () => {
  it('takes the flag over the variable, a switch included', () => {
    expect(readSettingValue('port', { port: '9000' }, '8080')).toEqual({ from: 'flag', value: '9000' })
    expect(readSettingValue('insecure', { insecure: true }, undefined)).toEqual({ from: 'flag', value: true })
    expect(readSettingValue('port', {}, '8080')).toEqual({ from: 'env', value: '8080' })
  })

  it('counts an empty or blank variable as unset, and refuses a blank flag by its name', () => {
    expect(readSettingValue('port', {}, '')).toEqual({ from: 'unset' })
    expect(readSettingValue('port', {}, '  ')).toEqual({ from: 'unset' })
    expect(readSettingValue(null, {}, undefined)).toEqual({ from: 'unset' })
    expect(readSettingValue('port', { port: ' ' }, '8080')).toEqual({
      from: 'blank-flag',
      problem: '--port: needs a value',
    })
  })
})
