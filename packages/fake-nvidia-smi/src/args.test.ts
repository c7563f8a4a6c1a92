import { describe, expect, it } from 'vitest'
import { parseInvocation, UsageError } from './args.js'

describe('parseInvocation', () => {
  it.each([
    [['-q', '-x'], { kind: 'xml', loopMs: null }],
    [['--xml-format', '--query'], { kind: 'xml', loopMs: null }],
    [['-L'], { kind: 'list', loopMs: null }],
    [['-q', '-x', '-l', '2'], { kind: 'xml', loopMs: 2000 }],
    [['-L', '-l'], { kind: 'list', loopMs: 5000 }],
  ])('%j', (args, expected) => {
    expect(parseInvocation(args)).toEqual(expected)
  })

  it.each([
    [['--query-gpu=index,memory.used', '--format=csv'], ['index', 'memory.used'], true, true, null],
    [['--query-gpu', 'index', '--format', 'csv,noheader'], ['index'], false, true, null],
    [['--format=csv,nounits,noheader', '--query-gpu=uuid', '-lms', '250'], ['uuid'], false, false, 250],
    [['--query-gpu=uuid', '--format=csv', '--loop-ms=100'], ['uuid'], true, true, 100],
    [['--query-gpu=uuid', '--format=csv', '--loop=1.5'], ['uuid'], true, true, 1500],
  ])('%j', (args, fields, header, units, loopMs) => {
    expect(parseInvocation(args)).toEqual({ kind: 'query', fields, format: { header, units }, loopMs })
  })

  it.each([
    [[], /only -q -x, -L and --query-gpu/],
    [['-q'], /only -q -x/],
    [['--query-gpu=index'], /needs --format/],
    [['--query-gpu=index,', '--format=csv'], /comma-separated/],
    [['--query-gpu=index', '--format=json'], /--format must be csv/],
    [['--query-gpu=index', '--format=csv,noheaders'], /"csv,noheaders"/],
    [['-L', '-lms', '0'], /-lms needs a positive number, got "0"/],
    [['-L', '-lms'], /-lms needs a positive number, got nothing/],
    [['-L', '--loop=x'], /--loop needs a positive number/],
    // Beyond a timer's range, setInterval would fire every millisecond.
    [['-L', '-l', '3000000'], /-l must be at most 2147483, got "3000000"/],
    [['-L', '-lms', '1e308'], /-lms must be at most 2147483647, got "1e308"/],
    [['-L', '-i', '0'], /-i is not emulated/],
  ])('rejects %j', (args, message) => {
    expect(() => parseInvocation(args)).toThrow(UsageError)
    expect(() => parseInvocation(args)).toThrow(message)
  })
})
