/**
 * Every capture in fixtures/nvidia-smi, answered in-process: one parametrized test per capture file,
 * so a capture added to the folder is covered without a code change. Real `--query-gpu` output
 * (fixtures/nvidia-smi/csv) is the reference for headers, units and value shapes.
 */
import { describe, expect, it } from 'vitest'
import { parseInvocation } from '../src/args.js'
import { readCapture } from '../src/capture.js'
import { QUERY_FIELDS } from '../src/query-fields.js'
import { respond } from '../src/respond.js'
import { readCaptureText, realCsvColumns, XML_CAPTURES } from './helpers/fixtures.js'

const PLACEHOLDER = /^\[(N\/A|Not Supported)\]$/
/** Value shapes by unit, as real nvidia-smi prints them with `--format=csv`. */
const SHAPE_BY_UNIT: Record<string, RegExp> = {
  MiB: /^\d+ MiB$/,
  '%': /^\d+ %$/,
  W: /^\d+\.\d\d W$/,
  MHz: /^\d+ MHz$/,
}
const ALL_FIELDS = [...QUERY_FIELDS.keys()].filter((field) => field !== 'compute_cap')

function ask(capture: string, args: string[]) {
  return respond(parseInvocation(args), { capture: readCapture(readCaptureText(capture)), failure: null })
}

/** The driver's major version, read with a regular expression rather than the code under test. */
function driverMajor(xml: string): number {
  return Number(/<driver_version>\s*(\d+)/.exec(xml)?.[1])
}

describe.each(XML_CAPTURES)('%s', (capture) => {
  const xml = readCaptureText(capture)
  const gpuCount = xml.match(/<gpu\s+id=/g)?.length ?? 0

  it('prints the capture unchanged for -q -x', () => {
    expect(ask(capture, ['-q', '-x'])).toEqual({ stdout: xml, exitCode: 0 })
  })

  it('lists one line per <gpu> element for -L', () => {
    const reply = ask(capture, ['-L'])
    const lines = reply.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(gpuCount)
    lines.forEach((line, index) => {
      expect(line).toMatch(new RegExp(`^GPU ${index}: \\S.* \\(UUID: GPU-[0-9a-f-]+\\)$`))
    })
  })

  it('answers every known field with units, or a bracketed placeholder', () => {
    const reply = ask(capture, [`--query-gpu=${ALL_FIELDS.join(',')}`, '--format=csv'])
    expect(reply.exitCode).toBe(0)
    const [header, ...rows] = reply.stdout.trimEnd().split('\n')
    expect(header?.split(', ')).toHaveLength(ALL_FIELDS.length)
    expect(rows).toHaveLength(gpuCount)
    for (const row of rows) {
      const cells = row.split(', ')
      expect(cells).toHaveLength(ALL_FIELDS.length)
      ALL_FIELDS.forEach((field, at) => {
        const unit = QUERY_FIELDS.get(field)?.unit
        const cell = cells[at] as string
        if (unit !== undefined && !PLACEHOLDER.test(cell))
          expect(cell, field).toMatch(SHAPE_BY_UNIT[unit] as RegExp)
        expect(cell, field).not.toMatch(/^(N\/A|Not Supported)$/)
        expect(cell, field).not.toBe('')
      })
    }
  })

  it('drops the header and units for noheader,nounits, in any field order', () => {
    const fields = ['power.draw', 'memory.total', 'index', 'utilization.gpu']
    const reply = ask(capture, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'])
    const rows = reply.stdout.trimEnd().split('\n')
    expect(rows).toHaveLength(gpuCount)
    rows.forEach((row, index) => {
      const [power, total, gpuIndex, utilization] = row.split(', ')
      expect(gpuIndex).toBe(String(index))
      for (const value of [power, total, utilization])
        expect(value).toMatch(/^(\d+(\.\d+)?|\[N\/A\]|\[Not Supported\])$/)
    })
  })

  it('answers compute_cap on drivers ≥ 510 and rejects it on older ones (exit 2)', () => {
    const reply = ask(capture, ['--query-gpu=index,compute_cap', '--format=csv,noheader,nounits'])
    if (driverMajor(xml) < 510) {
      expect(reply).toEqual({ stdout: 'Field "compute_cap" is not a valid field to query.\n\n', exitCode: 2 })
    } else {
      expect(reply.exitCode).toBe(0)
      for (const row of reply.stdout.trimEnd().split('\n')) expect(row).toMatch(/^\d+, \d+\.\d$/)
    }
  })
})

describe('values read from the captures', () => {
  it('gives the 8-GPU H100 host its first GPU as captured', () => {
    const reply = ask('gpuid__h100.xml', [
      '--query-gpu=index,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,compute_cap',
      '--format=csv,noheader,nounits',
    ])
    expect(reply.stdout.split('\n')[0]).toBe(
      '0, GPU-ab6ab95d-8259-5551-5962-e4a7a710fbae, 0, 1, 81559, 33, 70.93, 9.0',
    )
  })

  it('reads power.draw of a v13 capture from the instant reading when the average is N/A', () => {
    // As a real 591.86 driver does on an RTX 2080 SUPER (csv/nvgpuexp__windows-rtx-2080-super_…).
    const reply = ask('telegraf__dual_2080-v13.xml', ['--query-gpu=power.draw', '--format=csv,noheader'])
    expect(reply.stdout).toBe('1.00 W\n1.62 W\n')
  })

  it('prints [N/A] where the capture says N/A (Quadro P400 power) and where it has no element (v9 MIG)', () => {
    expect(ask('telegraf__quadro-p400.xml', ['--query-gpu=power.draw', '--format=csv,noheader']).stdout).toBe(
      '[N/A]\n',
    )
    expect(
      ask('pai__nvidia_smi_sample.xml', ['--query-gpu=mig.mode.current', '--format=csv,noheader']).stdout,
    ).toBe('[N/A]\n[N/A]\n')
  })

  it('counts the <gpu> elements, not attached_gpus, for count', () => {
    expect(ask('pai__nvidia_smi_sample.xml', ['--query-gpu=count', '--format=csv,noheader']).stdout).toBe(
      '2\n2\n',
    )
  })

  it('rejects an unknown field with nvidia-smi’s words', () => {
    expect(ask('telegraf__tesla-t4.xml', ['--query-gpu=index,cuda_version', '--format=csv'])).toEqual({
      stdout: 'Field "cuda_version" is not a valid field to query.\n\n',
      exitCode: 2,
    })
  })
})

describe('headers and value shapes match a real H100 --query-gpu capture', () => {
  const real = realCsvColumns('nvgpuexp__h100-80gb-hbm3_590.48.01_load__query-gpu.csv')
  const realByField = new Map(
    [...real].map(([column, value]) => [column.replace(/ \[.*\]$/, ''), { column, value }]),
  )
  const shared = [...QUERY_FIELDS.keys()].filter((field) => realByField.has(field))

  it('covers the fields the agent asks for', () => {
    expect(shared).toEqual(
      expect.arrayContaining(['index', 'uuid', 'memory.used', 'power.draw', 'compute_cap']),
    )
  })

  it.each(shared)('%s', (field) => {
    const reply = ask('gpuid__h100.xml', [`--query-gpu=${field}`, '--format=csv'])
    const [header, first] = reply.stdout.split('\n')
    const expected = realByField.get(field)
    expect(header).toBe(expected?.column)
    const shape = (value: string) => value.replace(/[0-9A-Fa-f]/g, '9').replace(/9+/g, '9')
    // Text differs by host, and a v12 capture has no average/instant power: the rest must look the same.
    if (!['name', 'serial', 'pstate', 'fan.speed'].includes(field) && !PLACEHOLDER.test(first as string)) {
      expect(shape(first as string)).toBe(shape(expected?.value as string))
    }
  })
})
