/** PURE: a `nvidia-smi -q -x` capture, read once into what the answers need. */
import { parseXml, textAt, type XmlElement } from './xml.js'

export interface Capture {
  /** The file's bytes as text: `-q -x` prints them unchanged. */
  readonly xml: string
  /** `570.86.15`, or null where the capture has none. */
  readonly driverVersion: string | null
  /** The `<gpu>` elements in order; `attached_gpus` is not trusted (a trimmed capture disagrees with it). */
  readonly gpus: readonly XmlElement[]
}

/** @throws Error when the text is not well-formed XML or its root is not `<nvidia_smi_log>`. */
export function readCapture(xml: string): Capture {
  const root = parseXml(xml)
  if (root.name !== 'nvidia_smi_log')
    throw new Error(`not an nvidia-smi -q -x capture: the root is <${root.name}>`)
  const driverVersion = textAt(root, 'driver_version')
  return {
    xml,
    driverVersion: driverVersion === undefined || driverVersion === '' ? null : driverVersion,
    gpus: root.children.filter((element) => element.name === 'gpu'),
  }
}

/** The driver's major version (`570` of `570.86.15`), or null when unknown. */
export function driverMajor(capture: Capture): number | null {
  const major = Number.parseInt(capture.driverVersion ?? '', 10)
  return Number.isNaN(major) ? null : major
}
