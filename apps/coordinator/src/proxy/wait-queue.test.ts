import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ClientGoneSignal } from './client-gone-signal.js'
import { WaitQueue, type WaitResult } from './wait-queue.js'

/** Items are model names; a grant is the name of the waiter that got the slot. */
function queue(maxWaiters = 10, timeoutMs = 1_000) {
  return new WaitQueue<string, string>({ maxWaiters, timeoutMs })
}

describe('WaitQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('wakes waiters in arrival order, one per freed slot', async () => {
    const waits = queue()
    const served: string[] = []
    const results = ['a', 'b', 'c'].map((name) =>
      waits.wait(name, new ClientGoneSignal()).then((result) => {
        if (result.kind === 'granted') served.push(result.grant)
      }),
    )
    expect(waits.size).toBe(3)
    for (let freed = 0; freed < 3; freed++) expect(waits.wakeFirst((item) => item)).toBe(true)
    await Promise.all(results)
    expect(served).toEqual(['a', 'b', 'c'])
    expect(waits.wakeFirst((item) => item)).toBe(false)
  })

  it('counts waiters per key as they come and go, granted, timed out or aborted', async () => {
    const waits = new WaitQueue<string, string>({ maxWaiters: 10, timeoutMs: 1_000, keyOf: (item) => item })
    const leaving = new ClientGoneSignal()
    const results = [
      waits.wait('model-a', new ClientGoneSignal()),
      waits.wait('model-a', leaving),
      waits.wait('model-b', new ClientGoneSignal()),
    ]
    expect([waits.waitingWith('model-a'), waits.waitingWith('model-b')]).toEqual([2, 1])
    // A grant counts at once, before the waiter's promise settles.
    waits.wakeFirst((item) => (item === 'model-a' ? 'a-node' : undefined))
    expect(waits.waitingWith('model-a')).toBe(1)
    leaving.abort()
    expect(waits.waitingWith('model-a')).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(waits.waitingWith('model-b')).toBe(0)
    expect((await Promise.all(results)).map((result) => result.kind)).toEqual(['granted', 'failed', 'failed'])
  })

  it('skips a waiter the freed capacity cannot serve, which keeps its place', async () => {
    const waits = queue()
    const first = waits.wait('model-a', new ClientGoneSignal())
    const second = waits.wait('model-b', new ClientGoneSignal())
    // A node serving only model-b freed a slot: the model-a request ahead of it does not block it.
    waits.wakeFirst((item) => (item === 'model-b' ? 'b-node' : undefined))
    expect(await second).toEqual({ kind: 'granted', grant: 'b-node' })
    expect(waits.size).toBe(1)
    waits.wakeFirst((item) => (item === 'model-a' ? 'a-node' : undefined))
    expect(await first).toEqual({ kind: 'granted', grant: 'a-node' })
  })

  it('refuses a waiter beyond maxWaiters at once', async () => {
    const waits = queue(2)
    void waits.wait('a', new ClientGoneSignal())
    void waits.wait('b', new ClientGoneSignal())
    expect(await waits.wait('c', new ClientGoneSignal())).toEqual({ kind: 'failed', reason: 'full' })
    expect(waits.size).toBe(2)
  })

  it('times a waiter out after timeoutMs and forgets it', async () => {
    const waits = queue(10, 500)
    const result = waits.wait('a', new ClientGoneSignal())
    await vi.advanceTimersByTimeAsync(499)
    expect(waits.size).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await result).toEqual({ kind: 'failed', reason: 'timeout' })
    expect(waits.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('drops a waiter whose client leaves, with its timer and listener', async () => {
    const waits = queue()
    const signal = new ClientGoneSignal()
    const result = waits.wait('a', signal)
    expect(signal.listenerCount('abort')).toBe(1)
    signal.abort()
    expect(await result).toEqual({ kind: 'failed', reason: 'aborted' })
    expect(waits.size).toBe(0)
    expect(signal.listenerCount('abort')).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    // A later slot goes to the next waiter, not to the one that left.
    const next = waits.wait('b', new ClientGoneSignal())
    waits.wakeFirst((item) => item)
    expect(await next).toEqual({ kind: 'granted', grant: 'b' })
  })

  it('refuses a client that is already gone', async () => {
    const signal = new ClientGoneSignal()
    signal.abort()
    expect(await queue().wait('a', signal)).toEqual({ kind: 'failed', reason: 'aborted' })
  })

  it('a granted waiter leaves nothing behind', async () => {
    const waits = queue()
    const signal = new ClientGoneSignal()
    const result = waits.wait('a', signal)
    waits.wakeFirst((item) => item)
    await result
    expect(signal.listenerCount('abort')).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('close ends every wait and refuses new ones', async () => {
    const waits = queue()
    const pending: Promise<WaitResult<string>>[] = [
      waits.wait('a', new ClientGoneSignal()),
      waits.wait('b', new ClientGoneSignal()),
    ]
    waits.close()
    for (const result of await Promise.all(pending))
      expect(result).toEqual({ kind: 'failed', reason: 'closed' })
    expect(await waits.wait('c', new ClientGoneSignal())).toEqual({ kind: 'failed', reason: 'closed' })
    expect(vi.getTimerCount()).toBe(0)
  })
})
