/**
 * PURE: a minimal XML reader for `nvidia-smi -q -x` output: elements, attributes, text and the five
 * predefined entities; the declaration, DOCTYPE and comments are skipped. nvidia-smi writes plain,
 * well-formed XML without CDATA or namespaces, so this is enough, keeps the stand-in free of
 * dependencies, and keeps it independent of the agent's parser (xml2js), which its tests check.
 */

export interface XmlElement {
  readonly name: string
  readonly attributes: Readonly<Record<string, string>>
  readonly children: XmlElement[]
  /** The element's own text, trimmed (text of child elements excluded). */
  text: string
}

const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/([\w.:-]+)\s*>|<([\w.:-]+)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g
const ATTRIBUTE = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)))
    return ENTITIES[entity] ?? ''
  })
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {}
  for (const match of source.matchAll(ATTRIBUTE)) {
    attributes[match[1] as string] = decode(match[2] ?? match[3] ?? '')
  }
  return attributes
}

/** @throws Error naming the offset of the first thing that is not well-formed. */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' }
  const stack: XmlElement[] = [root]
  for (const match of xml.matchAll(TOKEN)) {
    const [, closing, opening, attributes, selfClosing, text, stray] = match
    const parent = stack.at(-1) as XmlElement
    if (stray !== undefined) throw new Error(`invalid XML at offset ${match.index}: stray '<'`)
    if (text !== undefined) {
      if (stack.length === 1 && text.trim() !== '')
        throw new Error(`invalid XML: text outside the root element`)
      parent.text = (parent.text + decode(text)).trim()
    } else if (opening !== undefined) {
      const element: XmlElement = {
        name: opening,
        attributes: parseAttributes(attributes ?? ''),
        children: [],
        text: '',
      }
      parent.children.push(element)
      if (selfClosing !== '/') stack.push(element)
    } else if (closing !== undefined) {
      if (parent.name !== closing || stack.length === 1) {
        throw new Error(`invalid XML at offset ${match.index}: </${closing}> closes <${parent.name}>`)
      }
      stack.pop()
    }
  }
  if (stack.length > 1) throw new Error(`invalid XML: <${stack.at(-1)?.name}> is never closed`)
  const [documentElement, ...others] = root.children
  if (documentElement === undefined || others.length > 0) throw new Error('invalid XML: not one root element')
  return documentElement
}

/** The first child named `name`. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name)
}

/** The text at `a/b/c` below `element`, or undefined where an element on the path is missing. */
export function textAt(element: XmlElement, path: string): string | undefined {
  let current: XmlElement | undefined = element
  for (const name of path.split('/')) {
    current = current === undefined ? undefined : child(current, name)
  }
  return current?.text
}
