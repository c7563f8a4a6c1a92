import { describe, expect, it } from 'vitest'
import { summarizeTraffic } from './summary.js'
import type { RequestOutcome } from './traffic.js'

function served(id: number, node: string, completionTokens: number, latencyMs: number): RequestOutcome {
  return {
    id,
    phase: 0,
    isStreaming: id % 2 === 0,
    routing: { node, reason: 'spec tier 1' },
    completionTokens,
    latencyMs,
    error: null,
  }
}

describe('summarizeTraffic', () => {
  it('totals requests, tokens and mean latency per node, in the given node order', () => {
    const summary = summarizeTraffic(
      [served(1, 'b', 10, 100), served(2, 'a', 20, 300), served(3, 'a', 40, 100), served(4, 'c', 5, 50)],
      ['a', 'b'],
    )
    expect(summary.nodes).toEqual([
      { node: 'a', requests: 2, completionTokens: 60, meanLatencyMs: 200 },
      { node: 'b', requests: 1, completionTokens: 10, meanLatencyMs: 100 },
      { node: 'c', requests: 1, completionTokens: 5, meanLatencyMs: 50 },
    ])
    expect(summary).toMatchObject({ requests: 4, failures: 0 })
  })

  it('counts failed requests, with or without a node, but leaves them out of the node totals', () => {
    const failedOnNode = { ...served(2, 'a', 0, 900), error: 'terminated' }
    const failedBeforeRouting = { ...served(3, 'a', 0, 5), routing: null, error: 'connection refused' }
    const summary = summarizeTraffic([served(1, 'a', 8, 100), failedOnNode, failedBeforeRouting])
    expect(summary.nodes).toEqual([{ node: 'a', requests: 1, completionTokens: 8, meanLatencyMs: 100 }])
    expect(summary).toMatchObject({ requests: 3, failures: 2 })
  })
})
