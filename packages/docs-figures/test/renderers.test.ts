/** Renderers on hand-written results: the cells they must print, including result shapes other helpers publish. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import agentFootprint from '../src/blocks/agent-footprint.js'
import balanceP95 from '../src/blocks/balance-p95.js'
import capacityTable from '../src/blocks/capacity-table.js'
import proxyTable from '../src/blocks/proxy-table.js'
import selectSummary from '../src/blocks/select-summary.js'
import selectTable from '../src/blocks/select-table.js'
import { renderSettingsTable } from '../src/settings-table.js'

describe('agent-footprint', () => {
  const spread = (median: number, min: number, max: number) => ({ median, min, max })
  const results = (agentCpuPct: ReturnType<typeof spread>) => ({
    date: '2026-11-29T18:00:00.000Z',
    machine: { cpus: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', loadAvg1: { before: 2.5, after: 3.1 } },
    settings: { runs: 3, durationMs: 30_000, intervalMs: 2000, gpus: 8, nvidiaSmi: 'the stand-in' },
    results: {
      agent: {
        medianRssMiB: spread(70.1, 69, 72.3),
        maxRssMiB: spread(75, 74, 79.9),
        agentCpuPct,
        nvidiaSmiCpuPct: spread(0.8, 0.75, 0.9),
        totalCpuPct: spread(1.3, 1.2, 1.5),
        targets: { maxRssMiB: 80, agentCpuPct: 1 },
      },
      liveQuery: { perSampleCpuMs: spread(90, 85, 99), lmsLoopCpuMsPerSample: spread(15.8, 15, 16.2) },
    },
  })

  it('shows the agent alone, the stand-in children and the total, each as median [min–max]', () => {
    const text = agentFootprint.render(results(spread(0.5, 0.45, 0.6)))
    expect(text).toContain('| RSS, max | 75 [74–79.9] MiB | 80 MiB |')
    expect(text).toContain('| CPU, agent process alone | 0.5 [0.45–0.6] % of one core | 1 % |')
    expect(text).toContain(
      '| CPU, stand-in nvidia-smi children | 0.8 [0.75–0.9] % of one core | not budgeted |',
    )
    expect(text).toContain('| CPU, agent and children | 1.3 [1.2–1.5] % of one core |  |')
    expect(text).toContain('3 runs of 30 s each')
    expect(text).toContain('The CPU of the agent alone is within its budget (1 %).')
  })

  it('says plainly when the agent alone misses its CPU budget', () => {
    const text = agentFootprint.render(results(spread(1.2, 1.1, 1.3)))
    expect(text).toContain('The CPU of the agent alone misses its budget: 1.2 % against 1 %.')
  })
})

describe('proxy-table', () => {
  const published = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../../bench/results/proxy.json'), 'utf8'),
  )
  const withRatios = (throughput: number, addedP99Ms: number) => ({
    ...published,
    ratios: {
      ...published.ratios,
      coordinatorVsReplyFromThroughput: throughput,
      coordinatorAddedP99MsAt1000: addedP99Ms,
    },
  })

  it('shows each median with the lowest and highest round, and a ratio of the rounds paired', () => {
    const row = (target: string, requestsPerS: number[], cpu: (number | null)[], p99: number[]) => ({
      target,
      proxyCpuUsPerRequest: cpu[1] ?? null,
      proxyCpuUsPerChunk: null,
      closedLoop: { requestsPerS: requestsPerS[1], p50Ms: 1, p99Ms: 2, errors: 0 },
      fixedRate: { requestsPerS: 1000, p50Ms: 0.5, p99Ms: p99[1], errors: 0 },
      stream: { chunksPerS: 100 },
      rounds: { requestsPerS, fixedRateP99Ms: p99, chunksPerS: [90, 100, 110], cpuUsPerRequest: cpu },
    })
    const text = proxyTable.render({
      ...published,
      results: [
        row('direct', [9000, 10000, 11000], [null, null, null], [0.5, 0.6, 0.7]),
        row('coordinator', [4000, 6000, 5000], [200, 170, 180], [2.5, 3, 4]),
        row('reply-from', [8000, 10000, 9000], [110, 100, 90], [1, 1.2, 1.4]),
      ],
      ratios: {
        ...published.ratios,
        coordinatorVsReplyFromThroughput: 0.6,
        coordinatorVsReplyFromChunks: 1,
        coordinatorVsReplyFromCpuEfficiency: 100 / 170,
        coordinatorAddedP99MsAt1000: 2.4,
      },
    })
    expect(text).toContain('| coordinator | 6 000 (4 000–6 000) |')
    expect(text).toContain('| 170 (170–200) µs |')
    // Round by round: 4000/8000, 6000/10000, 5000/9000; 110/200, 100/170, 90/180; 2.5−0.5, 3−0.6, 4−0.7.
    expect(text).toContain('0.60 (0.50–0.60) in requests/s')
    expect(text).toContain('reply-from needs 0.59 (0.50–0.59) of')
    expect(text).toContain('Added p99 at 1 000 req/s: 2.4 (2–3.3) ms.')
  })

  it("says whether each of issue 4's targets is met, at their bounds too", () => {
    expect(proxyTable.render(withRatios(0.9, 1.99))).toContain(
      "Issue 4's targets: at least 0.9 × reply-from's requests/s, met; an added p99 under 2 ms at 1 000 req/s, met.",
    )
    expect(proxyTable.render(withRatios(0.89, 2))).toContain(
      "Issue 4's targets: at least 0.9 × reply-from's requests/s, not met; an added p99 under 2 ms at 1 000 req/s, not met.",
    )
  })
})

describe('balance-p95', () => {
  it('renders per-workload medians with their min–max when rows carry seeds', () => {
    const spread = (median: number, min: number, max: number) => ({ median, min, max })
    const row = (workload: string, load: number, strategy: string, p95: [number, number, number]) => ({
      workload,
      load,
      strategy,
      seeds: 5,
      ttftP95Ms: spread(100, 90, 110),
      e2eP95Ms: spread(...p95),
      coldLoadsPer1k: 0,
      prefixHitRate: 0.5,
      throughput: 10,
    })
    const text = balanceP95.render({
      rows: [
        row('chat', 0.5, 'spec', [3_280, 3_100, 3_900]),
        row('chat', 0.85, 'spec', [4_940, 4_500, 5_150]),
        row('rag', 0.5, 'spec', [12_000, 11_000, 13_500]),
      ],
    })
    expect(text).toContain('**chat** (5 seeds; median, min–max)')
    expect(text).toContain('| strategy | 50 % | 85 % |')
    expect(text).toContain('| spec | 3.28 (3.1–3.9) | 4.94 (4.5–5.15) |')
    expect(text).toContain('**rag** (5 seeds; median, min–max)')
    expect(text).toContain('| spec | 12 (11–13.5) |')
  })

  it('renders one-run rows in seconds and says there is no spread', () => {
    const text = balanceP95.render({
      seed: 7,
      rows: [
        { load: 0.3, strategy: 'round-robin', p95Ms: 794_386.1 },
        { load: 0.3, strategy: 'spec', p95Ms: 2_845.9 },
      ],
    })
    expect(text).toContain('| round-robin | 794 |')
    expect(text).toContain('| spec | 2.85 |')
    expect(text).toContain('One seed gives no spread.')
  })
})

describe('capacity-table', () => {
  const base = {
    machine: { cpus: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2' },
    intervalMs: 2000,
    p99TargetMs: 10,
    maxAgents: 40_000,
    steps: [
      {
        agents: 40_000,
        pushesPerS: 19_998.5,
        p50Ms: 0.45,
        p99Ms: 6.97,
        errors: 0,
        rssMiB: 283.69,
        cpuPct: 45.6,
        holds: true,
      },
    ],
  }

  it('says plainly that the file lacks the settings it ran with', () => {
    const text = capacityTable.render(base)
    expect(text).toContain('Most agents held: **40 000** at a 2 000 ms push interval')
    expect(text).toContain('| 40 000 | 19 999 | 0.45 | 6.97 | 0 | 45.6 % | 284 MiB | yes |')
    expect(text).toContain('The file does not record the settings the ramp ran with')
  })

  it('shows a median with its spread when a step summarises several tries', () => {
    const [step] = base.steps
    const text = capacityTable.render({
      ...base,
      steps: [
        {
          ...step,
          p99Ms: { median: 6.97, min: 5.1, max: 8.24 },
          rssMiB: { median: 283.7, min: 280, max: 290 },
        },
      ],
    })
    expect(text).toContain(
      '| 40 000 | 19 999 | 0.45 | 6.97 (5.1–8.24) | 0 | 45.6 % | 284 (280–290) MiB | yes |',
    )
  })

  it('says when no step held, shows the p99 spread over attempts, and marks a shortened run', () => {
    const [step] = base.steps
    const text = capacityTable.render({
      ...base,
      maxAgents: 0,
      shortened: true,
      machine: { ...base.machine, loadAverage1m: 13.52 },
      steps: [{ ...step, agents: 1000, p99Ms: 37.67, p99MinMs: 20.46, p99MaxMs: 564.84, holds: false }],
    })
    expect(text).toContain('No step held at a 2 000 ms push interval')
    expect(text).toContain('| 1 000 | 19 999 | 0.45 | 37.7 (20.5–565) | 0 | 45.6 % | 284 MiB | no |')
    expect(text).toContain(
      'on 2 × AMD EPYC, Node v20.20.2, load average 13.52 (1 min), load generator on the same cores. A shortened run.',
    )
  })

  it('lists the settings when the file has them', () => {
    const text = capacityTable.render({
      ...base,
      settings: { maxNodes: 100_000, verdict: 'median attempt per step', steps: [1000, 2000] },
    })
    expect(text).toContain(
      'Settings: `maxNodes` = 100000; `verdict` = "median attempt per step"; `steps` = 1000, 2000.',
    )
    expect(text).not.toContain('does not record')
  })
})

describe('renderSettingsTable', () => {
  it('takes names, type and default from the schema and the meaning from JSDoc or .describe()', () => {
    const source = join(mkdtempSync(join(tmpdir(), 'settings-')), 'config.ts')
    writeFileSync(
      source,
      [
        'export const Schema = z.strictObject({',
        '  /** Port to listen on;',
        '   * 0 picks one. */',
        '  port: z.coerce.number().int().min(0).max(65535).default(8080),',
        '  mode: z.enum(["a", "b"]).default("a").describe("How | to pick."),',
        '  /** Secret. */',
        '  token: z.string().optional(),',
        '  /** Start anyway. */',
        '  insecure: z.boolean().default(false),',
        '  /** Wait when busy. */',
        '  queue: z.stringbool().default(false),',
        '})',
      ].join('\n'),
    )
    const schema = z.strictObject({
      port: z.coerce.number().int().min(0).max(65535).default(8080),
      mode: z.enum(['a', 'b']).default('a').describe('How | to pick.'),
      token: z.string().optional(),
      insecure: z.boolean().default(false),
      queue: z.stringbool().default(false),
    })
    const names = (key: string) => {
      if (key === 'token') return { env: 'TOKEN', flag: null }
      if (key === 'insecure') return { env: null, flag: key, isSwitch: true }
      return { env: key.toUpperCase(), flag: key }
    }
    const text = renderSettingsTable({ schema, sourceFile: source, schemaName: 'Schema', names })
    expect(text.split('\n')).toEqual([
      '| variable | flag | type | default | meaning |',
      '| --- | --- | --- | --- | --- |',
      '| `PORT` | `--port` | integer 0–65535 | `8080` | Port to listen on; 0 picks one. |',
      '| `MODE` | `--mode` | `a`, `b` | `a` | How \\| to pick. |',
      '| `TOKEN` |  | string | unset | Secret. |',
      // A switch takes no value; a boolean with a variable takes `true` or `false`.
      '|  | `--insecure` | flag, no value | off | Start anyway. |',
      '| `QUEUE` | `--queue` | `true`, `false` | `false` | Wait when busy. |',
    ])
  })
})

describe('select-table', () => {
  it('renders both paths per mode and size, with spread, the clock and whether the target was met', () => {
    const spread = (median: number, min: number, max: number) => ({ median, min, max })
    const text = selectTable.render({
      clock: 'process CPU time',
      runs: 9,
      targetUsAt1000Nodes: 22,
      targetMet: false,
      results: {
        spec: {
          '10000': { selectOnly: spread(452.848, 300.4, 574.2), wholePath: spread(849.56, 598.47, 1296.8) },
          '1000': { selectOnly: spread(13.874, 12.889, 24.024), wholePath: spread(31.632, 23.867, 48.131) },
        },
      },
    })
    expect(text.split('\n').slice(2, 4)).toEqual([
      '| `spec` | 1 000 | 31.6 (23.9–48.1) | 13.9 (12.9–24) |  |',
      '| `spec` | 10 000 | 850 (598–1 297) | 453 (300–574) |  |',
    ])
    expect(text).toContain(
      'the median of 9 runs with the min–max in parentheses, counted as process CPU time.',
    )
    expect(text).toContain('Target: under 22 µs at 1 000 nodes, not met in this run.')
  })

  it('adds the rows with the model resident everywhere after the modes, and judges the target on the modes alone', () => {
    const spread = (median: number) => ({ median, min: median, max: median })
    const timing = (median: number) => ({ selectOnly: spread(median - 2), wholePath: spread(median) })
    const text = selectTable.render({
      paths: { selectOnly: 'alone', wholePath: 'whole', allResident: 'no node cold' },
      results: { spec: { '1000': timing(13) }, 'fastest-finish': { '1000': timing(14.5) } },
      fastestFinishAllResident: { '1000': timing(17.25) },
    })
    expect(text.split('\n').slice(2, 5)).toEqual([
      '| `spec` | 1 000 | 13 (13–13) | 11 (11–11) |  |',
      '| `fastest-finish` | 1 000 | 14.5 (14.5–14.5) | 12.5 (12.5–12.5) |  |',
      '| `fastest-finish`, model resident everywhere | 1 000 | 17.3 (17.3–17.3) | 15.3 (15.3–15.3) |  |',
    ])
    expect(text).toContain('Model resident everywhere: no node cold.')
    expect(
      selectSummary.render({
        targetUsAt1000Nodes: 22,
        targetMet: true,
        results: { spec: { '1000': timing(13) }, 'fastest-finish': { '1000': timing(14.5) } },
        fastestFinishAllResident: { '1000': timing(23.25) },
      }),
    ).toBe(
      '13 to 14.5 µs of CPU at 1 000 nodes for the whole path, median by mode (target: under 22 µs, met in the published run); the default with the model resident on every node, 23.3 µs',
    )
  })
})
