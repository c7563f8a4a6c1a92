import { describe, expect, it } from 'vitest'
import { createBearerMatcher } from './bearer-auth.js'

describe('createBearerMatcher', () => {
  const matches = createBearerMatcher(['alpha-token', 'beta'])

  it.each([
    ['Bearer alpha-token', true],
    ['bearer beta', true],
    ['Bearer  beta ', true],
    ['Bearer alpha', false],
    ['Bearer alpha-token-and-more', false],
    ['alpha-token', false],
    ['Basic alpha-token', false],
    ['Bearer ', false],
    ['', false],
  ])('%j → %s', (header, expected) => {
    expect(matches(header)).toBe(expected)
  })

  it('rejects a missing header, and everything when no token is accepted', () => {
    expect(matches(undefined)).toBe(false)
    expect(createBearerMatcher([])('Bearer anything')).toBe(false)
  })
})
