import { stripVTControlCharacters } from 'node:util'
import { describe, expect, it } from 'vitest'
import { formatSummary, TerminalView } from './render.js'
import type { PlannedRequest } from './traffic.js'

const NODES = [
  { name: 'fast', maxConcurrency: 2 },
  { name: 'slow', maxConcurrency: 1 },
]
const ESCAPE = '\u001b['

function collect(): { sink: { write(text: string): unknown }; text: () => string } {
  const chunks: string[] = []
  return { sink: { write: (text: string) => chunks.push(text) }, text: () => chunks.join('') }
}

describe('TerminalView', () => {
  const request: PlannedRequest = { id: 7, phase: 0, isStreaming: true }

  it('prints one plain line per routed request and per failure without a terminal', () => {
    const { sink, text } = collect()
    const view = new TerminalView({ sink, isInteractive: false, nodes: NODES })
    view.startLive()
    view.phaseStarted({ title: 'two at once', concurrency: 2 }, 0, 3)
    view.requestRouted(request, { node: 'slow', reason: 'spill-over to tier 2' })
    view.requestFinished({
      ...request,
      routing: { node: 'slow', reason: '' },
      completionTokens: 0,
      latencyMs: 5,
      error: 'terminated',
    })
    view.stopLive()
    expect(text()).not.toContain(ESCAPE)
    expect(text().split('\n')).toEqual([
      '',
      '▶ 1/3  two at once',
      '  #07 stream → slow  spill-over to tier 2',
      '  #7 failed on slow: terminated',
      '',
    ])
  })

  it('on a terminal, redraws a footer with each node in flight and served', () => {
    const { sink, text } = collect()
    const view = new TerminalView({ sink, isInteractive: true, nodes: NODES })
    view.startLive()
    view.requestRouted(request, { node: 'fast', reason: 'spec tier 1' })
    expect(text()).toMatch(/fast.*■□ +1\/2 in flight +served +0/)
    view.requestFinished({
      ...request,
      routing: { node: 'fast', reason: '' },
      completionTokens: 12,
      latencyMs: 5,
      error: null,
    })
    view.stopLive()
    // The last footer: the slot is free again and the request counted.
    const lastFooter = text().slice(text().lastIndexOf(`${ESCAPE}J`))
    expect(lastFooter).toMatch(/fast.*□□ +0\/2 in flight +served +1 +tokens +12/)
    // The cursor is hidden while live and shown again at the end.
    expect(text()).toContain(`${ESCAPE}?25l`)
    expect(text().endsWith(`${ESCAPE}?25h`)).toBe(true)
  })

  it('cuts footer lines to the terminal width, so that none wraps', () => {
    const { sink, text } = collect()
    const view = new TerminalView({ sink, isInteractive: true, nodes: NODES, columns: 30 })
    view.startLive()
    view.stopLive()
    const footerRows = stripVTControlCharacters(text())
      .split('\n')
      .filter((row) => row.includes('fast') || row.includes('slow'))
    expect(footerRows.length).toBeGreaterThan(0)
    for (const row of footerRows) expect(row.length).toBeLessThan(30)
  })
})

describe('formatSummary', () => {
  it('has one row per node and a line of totals', () => {
    const lines = formatSummary({
      nodes: [{ node: 'fast', requests: 3, completionTokens: 96, meanLatencyMs: 1234 }],
      requests: 4,
      failures: 1,
    })
    expect(lines).toHaveLength(3)
    expect(lines[1]).toMatch(/^ {2}fast +3 +96 +1\.23 s$/)
    expect(lines[2]).toBe('  4 requests, 1 failed')
  })
})
