/**
 * Generators of hostile input for the property tests (fast-check): values that break naive parsers and
 * validators, and mutations of a valid wire message that make exactly one field hostile.
 */
import fc from 'fast-check'

export const AGENT_TOKEN = 'hostile-test-agent-token'

/** Stands in for a raw JSON token (`1e309`, `NaN`) that no JS value serializes to. */
const RAW_PLACEHOLDER = '@@RAW@@'

/** Raw JSON text tokens: some valid JSON with surprising values, some not JSON at all. */
const RAW_TOKENS = [
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e-400',
  '-0',
  '123456789012345678901234567890',
  '0x1F',
  '01',
  '1.',
  '.5',
  '+1',
  'undefined',
  "'single'",
  '"\\ud800"',
  '"\\u0000"',
] as const

/** A value a validator must cope with: wrong types, edge numbers, NaN-like strings, odd shapes. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(
      'NaN',
      'Infinity',
      '-Infinity',
      '1e309',
      '',
      ' ',
      '\u0000',
      '\u202e',
      '__proto__',
      'constructor',
      '../../etc/passwd',
      'http://169.254.169.254:80/latest/meta-data',
      null,
      true,
      false,
      [],
      {},
      Number.MAX_SAFE_INTEGER + 2,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
      -1,
      0,
      2 ** 31,
      -(2 ** 63),
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ maxLength: 50 }),
    fc.string({ minLength: 5_000, maxLength: 20_000 }),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  )
}

type PathSegment = string | number

/** One change to a valid message. */
export type JsonMutation =
  | { readonly kind: 'replace'; readonly path: readonly PathSegment[]; readonly value: unknown }
  | { readonly kind: 'raw'; readonly path: readonly PathSegment[]; readonly raw: string }
  | { readonly kind: 'delete'; readonly path: readonly PathSegment[] }
  | {
      readonly kind: 'add-key'
      readonly path: readonly PathSegment[]
      readonly key: string
      readonly value: unknown
    }

/** Mutations of `sample` (any field at any depth): replaced, made a raw token, deleted, or a key added. */
export function hostileMutation(sample: unknown): fc.Arbitrary<JsonMutation> {
  const leaves = pathsOf(sample)
  // Keys are added to objects only: JSON has no named keys on an array (and an array's own `length`
  // cannot be redefined, which a seed once found).
  const containers = [[], ...leaves.filter((path) => isObject(valueAt(sample, path)))]
  const path = fc.constantFrom(...leaves)
  return fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), path, value: hostileValue() }),
    fc.record({ kind: fc.constant('raw' as const), path, raw: fc.constantFrom(...RAW_TOKENS) }),
    fc.record({ kind: fc.constant('delete' as const), path }),
    fc.record({
      kind: fc.constant('add-key' as const),
      path: fc.constantFrom(...containers),
      key: fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', ''),
        fc.string({ maxLength: 20 }),
      ),
      value: hostileValue(),
    }),
  )
}

/** The JSON text of `sample` with `mutation` applied. */
export function mutatedBodyText(sample: unknown, mutation: JsonMutation): string {
  const copy: unknown = structuredClone(sample)
  const { path } = mutation
  if (mutation.kind === 'add-key') {
    const target = path.length === 0 ? copy : valueAt(copy, path)
    if (typeof target === 'object' && target !== null) {
      // defineProperty: an own `__proto__` key, as JSON.parse would create it, not a prototype change.
      Object.defineProperty(target, mutation.key, {
        value: mutation.value,
        enumerable: true,
        configurable: true,
        writable: true,
      })
    }
    return JSON.stringify(copy)
  }
  const parent = valueAt(copy, path.slice(0, -1))
  const last = path.at(-1)
  if (typeof parent !== 'object' || parent === null || last === undefined) return JSON.stringify(copy)
  const record = parent as Record<PathSegment, unknown>
  if (mutation.kind === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1)
    else delete record[last]
    return JSON.stringify(copy)
  }
  record[last] = mutation.kind === 'replace' ? mutation.value : RAW_PLACEHOLDER
  const text = JSON.stringify(copy)
  return mutation.kind === 'raw' ? text.replace(`"${RAW_PLACEHOLDER}"`, mutation.raw) : text
}

/** `[[[…]]]` nested `depth` levels. */
export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

/** `{"a":{"a":…1…}}` nested `depth` levels. */
export function deepObject(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<PathSegment, unknown>)[segment]
  }
  return current
}

function pathsOf(root: unknown, prefix: readonly PathSegment[] = []): PathSegment[][] {
  if (typeof root !== 'object' || root === null) return []
  const entries: [PathSegment, unknown][] = Array.isArray(root)
    ? root.map((value, index): [PathSegment, unknown] => [index, value])
    : Object.entries(root)
  const paths: PathSegment[][] = []
  for (const [key, value] of entries) {
    const path = [...prefix, key]
    paths.push(path, ...pathsOf(value, path))
  }
  return paths
}
