import { describe, expect, it } from 'vitest'
import { parseXml, textAt } from './xml.js'

describe('parseXml', () => {
  it('reads elements, attributes, text and entities, skipping the declaration, DOCTYPE and comments', () => {
    const root = parseXml(
      '<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">\n<!-- c -->' +
        '<log><gpu id="00000000:04:00.0"><name> A &amp; B &lt;x&gt; </name><empty/></gpu></log>',
    )
    expect(root.name).toBe('log')
    const gpu = root.children[0]
    expect(gpu?.attributes).toEqual({ id: '00000000:04:00.0' })
    expect(textAt(root, 'gpu/name')).toBe('A & B <x>')
    expect(textAt(root, 'gpu/empty')).toBe('')
    expect(textAt(root, 'gpu/missing')).toBeUndefined()
  })

  it.each([
    ['<a><b></a>', /<\/a> closes <b>/],
    ['<a>', /<a> is never closed/],
    ['<a/><b/>', /not one root element/],
    ['', /not one root element/],
    ['<a>x < y</a>', /stray '<'/],
  ])('rejects %j', (xml, message) => {
    expect(() => parseXml(xml)).toThrow(message)
  })
})
