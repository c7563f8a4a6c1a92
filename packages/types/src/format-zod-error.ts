/** Turns zod issues into short messages that name the field, for HTTP 400s and CLI errors alike. */
import type { z } from 'zod'

/** Renders a path as `gpus[0].utilizationPct`; the empty path is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? String(segment) : `.${String(segment)}`
  }
  return out === '' ? '(root)' : out
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // zod reports a missing key as an invalid_type that "received undefined" (the input itself is
      // only attached with reportInput, which would also echo large bodies into errors).
      return / received undefined$/.test(issue.message) ? 'is required' : `must be ${issue.expected}`
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `must have at most ${issue.maximum} items`
          : `must be ${issue.inclusive === false ? 'below' : 'at most'} ${issue.maximum}`
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${issue.minimum} characters`
        : issue.origin === 'array'
          ? `must have at least ${issue.minimum} items`
          : `must be ${issue.inclusive === false ? 'above' : 'at least'} ${issue.minimum}`
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`
    case 'invalid_format':
      return issue.format === 'regex' ? issue.message : `must be a valid ${issue.format}`
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`
    default:
      return issue.message
  }
}

/**
 * One line per problem, each starting with the field's name, e.g. `cpuUsage: must be at most 100`.
 * `rename` maps a top-level key to the name the user knows (an env var, a flag).
 */
export function formatZodIssues(
  error: z.ZodError,
  rename: (topLevelKey: string) => string = (key) => key,
): string[] {
  const lines: string[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatPath([...issue.path, key])}: is not a known field`)
      continue
    }
    const [head, ...rest] = issue.path
    const path = head === undefined ? [] : [rename(String(head)), ...rest]
    lines.push(`${formatPath(path)}: ${describeIssue(issue)}`)
  }
  return lines
}

/** All problems on one line, separated by `; `: the message of a 400 response. */
export function formatZodError(error: z.ZodError, rename?: (topLevelKey: string) => string): string {
  return formatZodIssues(error, rename).join('; ')
}
