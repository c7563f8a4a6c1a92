import { describe, expect, it } from 'vitest'
import { type ReadinessInput, readinessAt } from './readiness.js'

const base: ReadinessInput = {
  now: 10_000,
  startedAtMs: 0,
  lastNewRegistrationMs: 0,
  settleMs: 4000,
  timeoutMs: 60_000,
  onlineCount: 3,
  missingFromPeers: null,
  hasSettled: false,
  isShuttingDown: false,
}

describe('readinessAt', () => {
  it.each([
    ['no peers, quiet for the settle time', {}, true, 'registry-settled'],
    ['no peers, a node registered just now', { lastNewRegistrationMs: 9000 }, false, 'waiting-for-fleet'],
    [
      'peers list two nodes it lacks',
      { missingFromPeers: 2, lastNewRegistrationMs: 0 },
      false,
      'waiting-for-fleet',
    ],
    [
      'peers list nothing it lacks, though one registered just now',
      { missingFromPeers: 0, lastNewRegistrationMs: 9999 },
      true,
      'fleet-known',
    ],
    [
      'peers list a node it lacks, past READY_TIMEOUT_MS',
      { missingFromPeers: 1, now: 60_000 },
      true,
      'ready-timeout',
    ],
    ['no node online', { onlineCount: 0 }, false, 'no-node-online'],
    ['no node online past the timeout', { onlineCount: 0, now: 70_000 }, false, 'no-node-online'],
    [
      'settled before, a node registered just now',
      { hasSettled: true, lastNewRegistrationMs: 9999, missingFromPeers: 3 },
      true,
      'ready',
    ],
    ['settled, then every node went stale', { hasSettled: true, onlineCount: 0 }, false, 'no-node-online'],
    ['shutting down', { hasSettled: true, isShuttingDown: true }, false, 'shutting-down'],
  ] as const)('%s', (_name, change, isReady, reason) => {
    expect(readinessAt({ ...base, ...change })).toMatchObject({ isReady, reason })
  })

  it('latches: once settled it stays settled', () => {
    expect(readinessAt(base).hasSettled).toBe(true)
    expect(readinessAt({ ...base, now: 1000 }).hasSettled).toBe(false)
    expect(readinessAt({ ...base, now: 70_000, onlineCount: 0 }).hasSettled).toBe(true)
  })
})
