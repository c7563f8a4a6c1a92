import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchedLogDestination, MAX_PENDING_BYTES } from './log-destination.js'

describe('BatchedLogDestination', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'log-destination-')), 'log.ndjson')
  let fd = -1
  afterEach(() => closeSync(fd))

  it('writes the lines of one turn together at the end of the turn, in order', async () => {
    fd = openSync(file, 'w')
    const destination = new BatchedLogDestination(fd)
    destination.write('{"n":1}\n')
    destination.write('{"n":2,"text":"née"}\n')
    expect(readFileSync(file, 'utf8')).toBe('')

    await new Promise((resolve) => setImmediate(resolve))
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2,"text":"née"}\n')
  })

  it('writes at once past the pending limit, and on flushSync', () => {
    fd = openSync(file, 'w')
    const destination = new BatchedLogDestination(fd)
    const line = `${'x'.repeat(1023)}\n`
    for (let written = 0; written < MAX_PENDING_BYTES; written += line.length) destination.write(line)
    expect(readFileSync(file, 'utf8').length).toBe(MAX_PENDING_BYTES)

    destination.write('last\n')
    destination.flushSync()
    expect(readFileSync(file, 'utf8').endsWith('last\n')).toBe(true)
  })

  it('still throws a write error other than EPIPE (a closed reader, which drops the lines)', () => {
    writeFileSync(file, '')
    fd = openSync(file, 'r')
    const destination = new BatchedLogDestination(fd)
    destination.write('{"n":1}\n')
    expect(() => destination.flushSync()).toThrow(expect.objectContaining({ code: 'EBADF' }))
  })
})
